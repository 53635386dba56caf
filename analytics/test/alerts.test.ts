/**
 * QoE alerts end to end on real services: rules through the HTTP routes (fastify inject on the shared
 * app, error handler included) into a scratch PostgreSQL catalog, beacons in chdb, the check job
 * (`runAlertChecks`, what the cron runs every minute) reading the QoE numbers, and the events POSTed
 * to a real local HTTP receiver whose signature check is written here from the documented scheme
 * (HMAC-SHA256 over "<t>.<body>"), not with the sender's code.
 *
 * The story, with every number worked by hand: video A gets 10 plays in its window, 2 of which fail
 * before the first frame (20 % > the rule's 10 %: fires); 10 more good plays (2 of 20 = 10 %, at the
 * threshold: resolves); 5 more failures (7 of 25 = 28 %) inside the 30-minute cool-down: held back.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { AlertEvent, AlertRule, AlertWebhookPayload } from '@streamloop/core/schemas/alerts';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually, makeBeacon, uniqueName } from '@streamloop/core/testing';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlertChecks } from '../src/alerts/alert-job.js';
import { registerAlertRoutes } from '../src/alerts/alert-routes.js';
import { createAlertWebhook } from '../src/alerts/alert-webhook.js';
import { createBeaconsTable } from '../src/beacons-table.js';
import { openChdbSession, viewsCaughtUp } from './chdb-session.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const API_KEY = 'test-api-key-0123456789';
const SECRET = 'alerts-test-secret-0123456789abcdef';
const NOW = Date.parse('2026-12-07T12:00:00Z');
const MINUTE = 60_000;
const auth = { authorization: `Bearer ${API_KEY}` };
const logger = createLogger({ name: 'alerts-test', level: 'silent' });

const chdb = await openChdbSession();
const table = createBeaconsTable(chdb.store);
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let catalog: ReturnType<typeof createPgCatalog>;
const app = buildHttpApp({
  logger,
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});

/** What the receiver got, and how it answers next. */
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let answerStatus = 204;
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  scratch = await createScratchDatabase(postgresUrl(), 'analytics_alerts');
  catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
  await catalog.migrate();
  registerAlertRoutes(app, { catalog, apiKey: API_KEY });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answerStatus;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/streamloop`;
});

afterAll(async () => {
  await app.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await catalog?.close();
  await scratch?.drop();
  await chdb.close();
});

const check = (atMs: number) =>
  runAlertChecks({
    analyticsStore: chdb.store,
    catalog,
    webhook: createAlertWebhook({ url: receiverUrl, secret: SECRET, now: () => atMs }),
    logger,
    now: () => atMs,
  });

/** A view that asks to play and fails with a fatal error before its first frame. */
function failedView(videoId: string, viewId: string): Beacon[] {
  const common = { videoId, viewId, viewerId: `viewer-${viewId}`, sessionId: `session-${viewId}` };
  return [
    makeBeacon({ ...common, event: 'viewstart' }),
    makeBeacon({ ...common, event: 'playrequest' }),
    makeBeacon({ ...common, event: 'error', errorCode: 'MEDIA_ERR_SRC_NOT_SUPPORTED', fatal: true }),
    makeBeacon({ ...common, event: 'viewend' }),
  ];
}

async function storeViews(videoId: string, atMs: number, good: number, failed: number): Promise<void> {
  const label = uniqueName('views');
  const beacons = [
    ...Array.from({ length: good }, (_, i) =>
      viewBeacons({ videoId, viewId: `${label}-good-${i}`, viewerId: `${label}-v${i}`, startupTimeMs: 800 }),
    ),
    ...Array.from({ length: failed }, (_, i) => failedView(videoId, `${label}-failed-${i}`)),
  ].flat();
  await table.insert(rowsOf(beacons, atMs), label);
  await eventually(`views of ${videoId} in views_v1`, async () =>
    (await viewsCaughtUp(chdb.store, videoId)) ? true : undefined,
  );
}

async function createRule(body: Record<string, unknown>): Promise<AlertRule> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/alerts/rules', headers: auth, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<AlertRule>();
}

async function ruleNow(id: string): Promise<AlertRule> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/alerts/rules', headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json<{ rules: AlertRule[] }>().rules.find((rule) => rule.id === id)!;
}

async function eventsOf(ruleId: string): Promise<AlertEvent[]> {
  const res = await app.inject({
    method: 'GET',
    url: `/api/v1/alerts/events?ruleId=${ruleId}`,
    headers: auth,
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ events: AlertEvent[] }>().events;
}

/** The receiver's check, from the documented scheme: t=<unix s>,v1=<hex HMAC-SHA256(secret, "t.body")>. */
function verified(delivery: { headers: IncomingHttpHeaders; body: string }): AlertWebhookPayload {
  const header = String(delivery.headers['x-streamloop-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  expect(match, header).not.toBeNull();
  const expected = createHmac('sha256', SECRET).update(`${match![1]}.${delivery.body}`).digest();
  expect(timingSafeEqual(expected, Buffer.from(match![2]!, 'hex'))).toBe(true);
  expect(delivery.headers['content-type']).toBe('application/json');
  const payload = JSON.parse(delivery.body) as AlertWebhookPayload;
  expect(delivery.headers['x-streamloop-event-id']).toBe(payload.id);
  return payload;
}

describe('a start-failure rule on one video', () => {
  const videoA = uniqueName('video-a');
  let rule: AlertRule;

  it('fires once the window is over the threshold, and the signed event reaches the receiver', async () => {
    rule = await createRule({
      name: 'Start failures, video A',
      metric: 'videoStartFailurePercent',
      videoId: videoA,
      threshold: 10,
      windowMinutes: 15,
      minPlays: 5,
      cooldownMinutes: 30,
    });
    expect(rule).toMatchObject({ state: 'ok', videoId: videoA, createdBy: 'default' });

    // 8 good plays and 2 failures 5 minutes ago: 2 / 10 = 20 % > 10 %.
    await storeViews(videoA, NOW - 5 * MINUTE, 8, 2);
    const summary = await check(NOW);
    expect(summary.events.map((e) => e.kind)).toEqual(['firing']);

    expect(received).toHaveLength(1);
    const payload = verified(received[0]!);
    expect(payload).toMatchObject({
      type: 'alert.firing',
      at: new Date(NOW).toISOString(),
      rule: {
        id: rule.id,
        metric: 'videoStartFailurePercent',
        videoId: videoA,
        threshold: 10,
        windowMinutes: 15,
      },
      value: 20,
      plays: 10,
    });
    expect(await ruleNow(rule.id)).toMatchObject({
      state: 'firing',
      stateSince: new Date(NOW).toISOString(),
      lastValue: 20,
      lastPlays: 10,
    });
    const [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ id: payload.id, kind: 'firing', delivery: 'sent', deliveryAttempts: 1 });
  });

  it('stays firing without a second notification while nothing changes', async () => {
    await check(NOW + MINUTE);
    expect(received).toHaveLength(1);
    expect((await ruleNow(rule.id)).state).toBe('firing');
  });

  it('resolves when the window is back at the threshold, and says so', async () => {
    // 10 more good plays: 2 / 20 = 10 %, not above 10 %.
    await storeViews(videoA, NOW - 2 * MINUTE, 10, 0);
    await check(NOW + 2 * MINUTE);
    expect(received).toHaveLength(2);
    expect(verified(received[1]!)).toMatchObject({ type: 'alert.resolved', value: 10, plays: 20 });
    expect((await ruleNow(rule.id)).state).toBe('ok');
  });

  it('holds back a new breach inside the cool-down, and shows the reading', async () => {
    // 5 more failures: 7 / 25 = 28 %, but the rule fired 3 minutes ago (cool-down 30).
    await storeViews(videoA, NOW - MINUTE, 0, 5);
    const summary = await check(NOW + 3 * MINUTE);
    expect(summary.events).toEqual([]);
    expect(received).toHaveLength(2);
    expect(await ruleNow(rule.id)).toMatchObject({ state: 'ok', lastValue: 28, lastPlays: 25 });
    expect((await eventsOf(rule.id)).map((e) => e.kind)).toEqual(['resolved', 'firing']);
  });
});

describe('a receiver that fails', () => {
  it('keeps the event pending with the reason, and the next run delivers it', async () => {
    const videoB = uniqueName('video-b');
    const rule = await createRule({
      name: 'Start failures, video B',
      metric: 'videoStartFailurePercent',
      videoId: videoB,
      threshold: 10,
      minPlays: 5,
    });
    // 3 good and 3 failed plays: 3 / 6 = 50 %.
    await storeViews(videoB, NOW - 5 * MINUTE, 3, 3);
    const before = received.length;
    answerStatus = 500;
    await check(NOW);
    expect(received.length).toBe(before + 1);
    let [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({
      kind: 'firing',
      value: 50,
      delivery: 'pending',
      deliveryAttempts: 1,
      deliveryError: 'the webhook answered 500',
    });

    answerStatus = 204;
    await check(NOW + MINUTE);
    [event] = await eventsOf(rule.id);
    expect(event).toMatchObject({ delivery: 'sent', deliveryAttempts: 2 });
    // The retry is the same event: a receiver deduplicating by id sees it once.
    const ids = received.slice(before).map((delivery) => verified(delivery).id);
    expect(ids).toEqual([event!.id, event!.id]);
  });
});

describe('bad input', () => {
  it.each([
    ['an unknown metric', { name: 'x', metric: 'bufferingFeelings', threshold: 1 }, 'metric'],
    [
      'a percent threshold above 100',
      { name: 'x', metric: 'videoStartFailurePercent', threshold: 150 },
      '0 to 100',
    ],
    ['a negative threshold', { name: 'x', metric: 'rebufferRatio', threshold: -1 }, 'threshold'],
    [
      'a window under 5 minutes',
      { name: 'x', metric: 'rebufferRatio', threshold: 0.1, windowMinutes: 2 },
      'windowMinutes',
    ],
    [
      'a malformed video id',
      { name: 'x', metric: 'rebufferRatio', threshold: 0.1, videoId: '../etc' },
      'videoId',
    ],
    ['an empty name', { name: '', metric: 'rebufferRatio', threshold: 0.1 }, 'name'],
  ])('refuses %s with 400 naming it, and stores nothing', async (_what, body, named) => {
    const before = (await app.inject({ method: 'GET', url: '/api/v1/alerts/rules', headers: auth })).json<{
      rules: AlertRule[];
    }>().rules.length;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/rules',
      headers: auth,
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    expect(res.body).toContain(named);
    const after = (await app.inject({ method: 'GET', url: '/api/v1/alerts/rules', headers: auth })).json<{
      rules: AlertRule[];
    }>().rules.length;
    expect(after).toBe(before);
  });

  it('answers 404 for an unknown rule, 400 for a malformed id and 401 without a key', async () => {
    const unknown = await app.inject({
      method: 'DELETE',
      url: '/api/v1/alerts/rules/alr_000000000000',
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });
    const malformed = await app.inject({ method: 'DELETE', url: '/api/v1/alerts/rules/nope', headers: auth });
    expect(malformed.statusCode).toBe(400);
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/alerts/rules' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('deletes a rule with its events', async () => {
    const rule = await createRule({ name: 'short-lived', metric: 'startupTimeP95Ms', threshold: 4000 });
    const res = await app.inject({ method: 'DELETE', url: `/api/v1/alerts/rules/${rule.id}`, headers: auth });
    expect(res.statusCode).toBe(204);
    expect(await ruleNow(rule.id)).toBeUndefined();
  });
});
