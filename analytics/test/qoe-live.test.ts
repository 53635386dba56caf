/**
 * `GET /api/v1/qoe/live` over fastify inject and chdb: concurrent viewers, plays and start failures
 * per minute from the raw beacons, the clock fixed at 12:00:30. Every expected count is worked out by
 * hand from the beacons below (times relative to 12:00:30):
 * - viewer 1 on video X: viewstart, playrequest, firstframe at 11:55:30; heartbeats at 11:56:30 and
 *   12:00:10;
 * - viewer 2 on X: playrequest and a fatal error at 11:57:30, no first frame (a start failure);
 * - viewer 3 on video Y: a heartbeat at 12:00:00;
 * - viewer 4, simulated, on X: a heartbeat at 12:00:20;
 * - viewer 5 on X: only a viewend at 12:00:15 (leaving, not watching);
 * - viewer 6 on X: a heartbeat at 11:20:30, before the 30-minute window.
 */

import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { QoeLiveResponse } from '@streamloop/core/schemas/qoe-api';
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { openChdbSession, qoeTestApp } from './chdb-session.js';
import { rowsOf } from './make-beacon.js';

const API_KEY = 'test-api-key-0123456789';
const NOW = Date.parse('2026-12-07T12:00:30Z');
const chdb = await openChdbSession();
const app = qoeTestApp(chdb.store, { apiKey: API_KEY, nowMs: NOW });
const auth = { authorization: `Bearer ${API_KEY}` };
const videoX = uniqueName('video-x');
const videoY = uniqueName('video-y');

function beacons(
  viewer: number,
  videoId: string,
  events: Beacon['event'][],
  extra: Partial<Beacon> = {},
): Beacon[] {
  const common = {
    videoId,
    viewerId: `viewer-${viewer}`,
    viewId: `view-${viewer}`,
    sessionId: `session-${viewer}`,
  };
  return events.map((event) =>
    makeBeacon({
      ...common,
      event,
      ...(event === 'error' ? { errorCode: 'MEDIA_ERR_DECODE', fatal: true } : {}),
      ...extra,
    }),
  );
}

beforeAll(async () => {
  const table = createBeaconsTable(chdb.store);
  const at = (iso: string) => Date.parse(`2026-12-07T${iso}Z`);
  const batches: [Beacon[], number][] = [
    [beacons(1, videoX, ['viewstart', 'playrequest', 'firstframe']), at('11:55:30')],
    [beacons(1, videoX, ['heartbeat']), at('11:56:30')],
    [beacons(1, videoX, ['heartbeat']), at('12:00:10')],
    [beacons(2, videoX, ['viewstart', 'playrequest', 'error']), at('11:57:30')],
    [beacons(3, videoY, ['heartbeat']), at('12:00:00')],
    [beacons(4, videoX, ['heartbeat'], { synthetic: true, cohort: 'c', networkClass: '3g' }), at('12:00:20')],
    [beacons(5, videoX, ['viewend']), at('12:00:15')],
    [beacons(6, videoX, ['heartbeat']), at('11:20:30')],
  ];
  for (const [batch, receivedAtMs] of batches)
    await table.insert(rowsOf(batch, receivedAtMs), uniqueName('live'));
});
afterAll(async () => {
  await app.close();
  await chdb.close();
});

const live = async (query = ''): Promise<QoeLiveResponse> => {
  const res = await app.inject({ method: 'GET', url: `/api/v1/qoe/live${query}`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['cache-control']).toBe('private, no-store');
  return res.json<QoeLiveResponse>();
};
const minute = (answer: QoeLiveResponse, hhmm: string) =>
  answer.minutes.find((m) => m.time === `2026-12-07T${hhmm}:00.000Z`);

describe('GET /api/v1/qoe/live', () => {
  it('counts the fleet’s real viewers per minute over the last 30 minutes, and in the last 60 s', async () => {
    const answer = await live();
    expect(answer).toMatchObject({ asOf: '2026-12-07T12:00:30.000Z', videoId: null, synthetic: 'real' });
    // Viewers 1 (12:00:10) and 3 (12:00:00); 5 only left; 4 is simulated.
    expect(answer.concurrentViewers).toBe(2);
    expect(answer.minutes).toHaveLength(30);
    expect(answer.minutes[0]!.time).toBe('2026-12-07T11:31:00.000Z');
    expect(answer.minutes.at(-1)!.time).toBe('2026-12-07T12:00:00.000Z');
    expect(minute(answer, '11:55')).toMatchObject({ concurrentViewers: 1, plays: 1, startFailures: 0 });
    expect(minute(answer, '11:56')).toMatchObject({ concurrentViewers: 1, plays: 0, startFailures: 0 });
    expect(minute(answer, '11:57')).toMatchObject({ concurrentViewers: 1, plays: 1, startFailures: 1 });
    expect(minute(answer, '12:00')).toMatchObject({ concurrentViewers: 2, plays: 0, startFailures: 0 });
    // Nothing else in the window (viewer 6 is before it).
    const others = answer.minutes.filter(
      (m) => !['11:55', '11:56', '11:57', '12:00'].some((t) => m.time.includes(`T${t}`)),
    );
    expect(others.every((m) => m.concurrentViewers === 0 && m.plays === 0 && m.startFailures === 0)).toBe(
      true,
    );
  });

  it('narrows to one video, and counts simulated viewers only when asked', async () => {
    const x = await live(`?videoId=${videoX}`);
    expect(x.videoId).toBe(videoX);
    expect(x.concurrentViewers).toBe(1);
    expect(minute(x, '12:00')).toMatchObject({ concurrentViewers: 1 });
    const all = await live('?synthetic=all');
    expect(all.concurrentViewers).toBe(3);
    const simulated = await live(`?synthetic=synthetic&videoId=${videoX}`);
    expect(simulated.concurrentViewers).toBe(1);
    expect(minute(simulated, '11:57')).toMatchObject({ plays: 0, startFailures: 0 });
  });

  it('answers 400 for a bad scope or video id, and 401 without a key', async () => {
    const scope = await app.inject({ method: 'GET', url: '/api/v1/qoe/live?synthetic=bots', headers: auth });
    expect(scope.statusCode).toBe(400);
    expect(scope.json().error.message).toContain('synthetic must be one of');
    const id = await app.inject({ method: 'GET', url: '/api/v1/qoe/live?videoId=a%20b', headers: auth });
    expect(id.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/qoe/live' })).statusCode).toBe(401);
  });
});
