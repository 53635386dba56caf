/**
 * The QoE API over fastify's inject, on the shared HTTP app (error handler included) and chdb.
 */
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { openChdbSession, qoeTestApp } from './chdb-session.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const API_KEY = 'test-api-key-0123456789';
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOUR_MS = 3600 * 1000;
const chdb = await openChdbSession();
const app = qoeTestApp(chdb.store, { apiKey: API_KEY, nowMs: NOW });

const videoId = uniqueName('video');
const auth = { authorization: `Bearer ${API_KEY}` };
const overview = (query: string, headers: Record<string, string> = auth) =>
  app.inject({ method: 'GET', url: `/api/v1/qoe/overview?${query}`, headers });

beforeAll(async () => {
  const table = createBeaconsTable(chdb.store);
  // Two hours ago: inside the default 24 h. Three days ago: only in an explicit range.
  await table.insert(
    rowsOf(
      viewBeacons({ videoId, viewId: 'recent', viewerId: 'viewer-1', startupTimeMs: 600 }),
      NOW - 2 * HOUR_MS,
    ),
    'recent',
  );
  await table.insert(
    rowsOf(
      viewBeacons({ videoId, viewId: 'old', viewerId: 'viewer-2', startupTimeMs: 1400 }),
      NOW - 72 * HOUR_MS,
    ),
    'old',
  );
});
afterAll(async () => {
  await app.close();
  await chdb.close();
});

describe('GET /api/v1/qoe/overview', () => {
  it('covers the last 24 hours by default and says which range it used', async () => {
    const res = await overview(`videoId=${videoId}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.json()).toMatchObject({
      videoId,
      from: new Date(NOW - 24 * HOUR_MS).toISOString(),
      to: new Date(NOW).toISOString(),
      plays: 1,
      viewers: 1,
      startupTimeMs: { p50: 600, p95: 600 },
    });
  });

  it('takes from/to as ISO 8601 or epoch milliseconds, with the same answer', async () => {
    const from = NOW - 4 * 24 * HOUR_MS;
    const iso = await overview(
      `videoId=${videoId}&from=${new Date(from).toISOString()}&to=${new Date(NOW).toISOString()}`,
    );
    const epoch = await overview(`videoId=${videoId}&from=${from}&to=${NOW}`);
    expect(iso.statusCode).toBe(200);
    expect(iso.json()).toMatchObject({ plays: 2, viewers: 2, startupTimeMs: { p50: 1000 } });
    expect(epoch.json()).toEqual(iso.json());
  });

  it('answers a video nobody watched with zeros and nulls', async () => {
    const res = await overview(`videoId=${uniqueName('unwatched')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      plays: 0,
      viewers: 0,
      startupTimeMs: { p50: null, p95: null },
      rebufferRatio: null,
      watchTimeMs: 0,
      errors: 0,
    });
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer not-the-key-at-all' }],
    ['the key with another scheme', { authorization: `Basic ${API_KEY}` }],
    ['the key without a scheme', { authorization: API_KEY }],
    ['an empty bearer token', { authorization: 'Bearer ' }],
  ])('401 with %s, before it looks at the parameters', async (_what, headers) => {
    for (const query of [`videoId=${videoId}`, 'from=garbage']) {
      const res = await overview(query, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: { code: 'ERR_UNAUTHORIZED', message: expect.stringMatching(/api key/i) },
      });
    }
  });

  it.each([
    // videoId is a filter (no videoId: every video); a misspelt one must not quietly mean "all".
    ['a misspelt filter', `videoid=${videoId}`, /unknown query parameter "videoid"/],
    ['an empty videoId', 'videoId=', /videoId/],
    ['a videoId with a quote', "videoId=abc'def", /videoId/],
    ['an unreadable from', `videoId=${videoId}&from=last%20week`, /"from"/],
    ['a date-time without an offset', `videoId=${videoId}&to=2025-06-01T10:00:00`, /"to"/],
    ['from after to', `videoId=${videoId}&from=2025-05-02&to=2025-05-01`, /before/],
    ['more than 366 days', `videoId=${videoId}&from=2020-01-01&to=2025-01-01`, /366 days/],
  ])('400 with %s', async (_what, query, message) => {
    const res = await overview(query);
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_VALIDATION');
    expect(body.error.message).toMatch(message);
  });
});
