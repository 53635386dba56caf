/**
 * `GET /api/v1/qoe/sessions/:sessionId/beacons` and the new beacon fields: beacons go through the
 * real embedded log and consumer into chdb, and come back through the route exactly as they were
 * sent. CMCD beacons from the origin share the table and the session, but never count as plays.
 */
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually, makeBeacon, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconConsumer } from '../src/beacon-consumer.js';
import { beaconRowStep } from '../src/beacon-row-step.js';
import { type BeaconRow, createBeaconsTable } from '../src/beacons-table.js';
import { getOverview } from '../src/qoe-queries.js';
import { MAX_SESSION_BEACONS, registerQoeRoutes } from '../src/qoe-routes.js';
import { openChdbSession, storedRows, viewsCaughtUp } from './chdb-session.js';
import { cmcdBeacon, collectorMessage, everyCmcdKey, everyFieldBeacon, viewBeacons } from './make-beacon.js';

const API_KEY = 'test-api-key-0123456789';
const RECEIVED_AT_MS = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOUR_MS = 3600 * 1000;
const logger = createLogger({ name: 'analytics-test', level: 'silent' });
const isBeacon = createValidator(Beacon);

const chdb = await openChdbSession();
const log = createMemoryEventLog({ logger });
await log.ensureTopics([TOPICS.qoeBeacons]);
const consumer = createBeaconConsumer({
  eventLog: log,
  analyticsStore: chdb.store,
  logger,
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  groupId: uniqueName('analytics'),
});
const app = buildHttpApp({
  logger,
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
registerQoeRoutes(app, { analyticsStore: chdb.store, apiKey: API_KEY });

beforeAll(() => consumer.start());
afterAll(async () => {
  await consumer.stop();
  await log.close();
  await app.close();
  await chdb.close();
});

const auth = { authorization: `Bearer ${API_KEY}` };
const sessionBeacons = (sessionId: string, headers: Record<string, string> = auth, query = '') =>
  app.inject({
    method: 'GET',
    url: `/api/v1/qoe/sessions/${encodeURIComponent(sessionId)}/beacons${query}`,
    headers,
  });

/** Sends beacons the way the collector and the origin do. */
const publish = (beacons: Beacon[], receivedAtMs = RECEIVED_AT_MS) =>
  log.publish(
    TOPICS.qoeBeacons.name,
    beacons.map((b) => collectorMessage(b, receivedAtMs)),
  );
const untilStored = (videoId: string, rows: number) =>
  eventually(`${rows} rows of ${videoId}, and views_v1 caught up`, async () =>
    (await storedRows(chdb.store, videoId)) >= rows && (await viewsCaughtUp(chdb.store, videoId))
      ? true
      : undefined,
  );
/** Publishes beacons of ONE video and waits until they are all stored. */
async function deliver(beacons: Beacon[], receivedAtMs = RECEIVED_AT_MS): Promise<void> {
  const videoId = beacons[0]!.videoId;
  const before = await storedRows(chdb.store, videoId);
  await publish(beacons, receivedAtMs);
  await untilStored(videoId, before + beacons.length);
}

describe('every beacon field, stored and read back', () => {
  it('returns a beacon with every field exactly as it was sent (golden round trip)', async () => {
    const sessionId = uniqueName('session');
    const videoId = uniqueName('video');
    const sdk = everyFieldBeacon({ sessionId, videoId, cmcd: everyCmcdKey({ sid: sessionId }) });
    const cmcd = everyFieldBeacon({
      sessionId,
      videoId,
      source: 'cmcd',
      event: 'cmcd',
      viewId: sessionId,
      seq: 0,
      fatal: true,
      cmcd: everyCmcdKey({ sid: sessionId, su: true, bs: false, pr: 0.5 }),
    });
    for (const beacon of [sdk, cmcd]) expect(isBeacon(beacon).ok).toBe(true);
    await deliver([sdk, cmcd]);

    // Every field includes `synthetic: true` (a simulated viewer's), so the default (real) scope
    // finds none of them and says why.
    const real = await sessionBeacons(sessionId);
    expect(real.statusCode).toBe(404);
    expect(real.json().error.message).toMatch(
      /no real beacons \(2 stored outside that scope\); ask with synthetic=all/,
    );

    const res = await sessionBeacons(sessionId, auth, '?synthetic=synthetic');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    // Ordered by source: the origin's 'cmcd' before the SDK's 'sdk'.
    expect(res.json()).toEqual({
      sessionId,
      synthetic: 'synthetic',
      beacons: [
        { ...cmcd, receivedAtMs: RECEIVED_AT_MS },
        { ...sdk, receivedAtMs: RECEIVED_AT_MS },
      ],
    });
  });

  it('leaves out the fields a beacon did not carry, and names the SDK as the source of one without it', async () => {
    const sessionId = uniqueName('session');
    const videoId = uniqueName('video');
    const minimal = makeBeacon({ sessionId, videoId, event: 'viewstart' });
    await deliver([minimal]);
    const [stored] = (await sessionBeacons(sessionId)).json().beacons;
    expect(stored).toEqual({ ...minimal, source: 'sdk', receivedAtMs: RECEIVED_AT_MS });
  });

  it('drops a beacon whose CMCD value does not fit its column rather than failing the batch', async () => {
    const sessionId = uniqueName('session');
    const videoId = uniqueName('video');
    const tooBig = cmcdBeacon(sessionId, videoId, { cmcd: { sid: sessionId, br: 2 ** 32 } });
    const fine = cmcdBeacon(sessionId, videoId);
    const result = beaconRowStep({ beacon: tooBig, receivedAtMs: RECEIVED_AT_MS }, fakeMessage());
    expect(result).toMatchObject({ kind: 'drop', reason: 'value_out_of_range' });
    await publish([tooBig, fine]);
    await untilStored(videoId, 1);
    expect((await sessionBeacons(sessionId)).json().beacons.map((b: Beacon) => b.beaconId)).toEqual([
      fine.beaconId,
    ]);
  });
});

describe('GET /api/v1/qoe/sessions/:sessionId/beacons', () => {
  const sessionId = uniqueName('session');
  const videoId = uniqueName('video');
  const viewA = { sessionId, videoId, viewId: 'view-a', viewerId: 'viewer-1' };
  const viewB = { sessionId, videoId, viewId: 'view-b', viewerId: 'viewer-1' };
  const sent = [
    makeBeacon({ ...viewB, seq: 1, event: 'viewstart' }),
    makeBeacon({ ...viewA, seq: 2, event: 'playrequest' }),
    makeBeacon({ ...viewA, seq: 1, event: 'viewstart' }),
    cmcdBeacon(sessionId, videoId, { seq: 7 }),
    cmcdBeacon(sessionId, videoId, { seq: 3 }),
  ];

  beforeAll(async () => {
    await deliver(sent);
    // A client resending one beacon, an hour later: stored twice, returned once (its first arrival).
    await deliver([sent[1]!], RECEIVED_AT_MS + HOUR_MS);
  });

  it('returns the SDK and CMCD beacons of the session, each once, by source, view, seq and arrival', async () => {
    const res = await sessionBeacons(sessionId);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { sessionId: string; beacons: (Beacon & { receivedAtMs: number })[] };
    expect(body.sessionId).toBe(sessionId);
    expect(body.beacons.map((b) => [b.source, b.viewId, b.seq, b.receivedAtMs])).toEqual([
      ['cmcd', sessionId, 3, RECEIVED_AT_MS],
      ['cmcd', sessionId, 7, RECEIVED_AT_MS],
      ['sdk', 'view-a', 1, RECEIVED_AT_MS],
      ['sdk', 'view-a', 2, RECEIVED_AT_MS],
      ['sdk', 'view-b', 1, RECEIVED_AT_MS],
    ]);
  });

  it('answers 404 for a session without stored beacons', async () => {
    const res = await sessionBeacons(uniqueName('nobody'));
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ERR_NOT_FOUND');
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer not-the-key-at-all' }],
  ])('401 with %s, before it looks at the session id', async (_what, headers) => {
    for (const id of [sessionId, "bad'id"]) {
      const res = await sessionBeacons(id, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
    }
  });

  it.each([
    ['a quote', "abc'def"],
    ['a space', 'abc def'],
    ['a non-ASCII letter', 'séance'],
  ])('400 for a session id with %s', async (_what, id) => {
    const res = await sessionBeacons(id);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ERR_VALIDATION');
  });

  it(`refuses a session of more than ${MAX_SESSION_BEACONS} beacons with a clear error`, async () => {
    const big = uniqueName('session');
    const bigVideo = uniqueName('video');
    const rows: BeaconRow[] = Array.from({ length: MAX_SESSION_BEACONS + 1 }, (_, i) => {
      const result = beaconRowStep(
        { beacon: makeBeacon({ sessionId: big, videoId: bigVideo, seq: i }), receivedAtMs: RECEIVED_AT_MS },
        fakeMessage(i),
      );
      if (result.kind !== 'ok') throw new Error(result.detail);
      return result.value;
    });
    await createBeaconsTable(chdb.store).insert(rows, big);
    const res = await sessionBeacons(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({
      code: 'ERR_PAYLOAD_TOO_LARGE',
      message: expect.stringContaining(`more than ${MAX_SESSION_BEACONS}`),
    });
  });
});

describe('the overview counts the player, not the origin', () => {
  it('is unchanged by CMCD beacons of the same video, even ones that look like plays', async () => {
    const videoId = uniqueName('video');
    const range = { videoId, fromMs: RECEIVED_AT_MS - HOUR_MS, toMs: RECEIVED_AT_MS + HOUR_MS };
    const views = [
      viewBeacons({
        videoId,
        viewId: 'v1',
        viewerId: 'viewer-1',
        startupTimeMs: 500,
        rebuffersMs: [800],
        heartbeatsWatchMs: [10_000],
      }),
      viewBeacons({ videoId, viewId: 'v2', viewerId: 'viewer-2', startupTimeMs: 900, errors: 1 }),
    ].flat();
    await deliver(views);
    const before = await getOverview(chdb.store, range);
    expect(before).toMatchObject({ plays: 2, viewers: 2, rebufferCount: 1, watchTimeMs: 10_000, errors: 1 });

    const origin = [
      ...Array.from({ length: 20 }, (_, i) => cmcdBeacon(`session-v1`, videoId, { seq: i })),
      // Schema-valid but not what the origin sends: proves the rule is the source, not the event.
      cmcdBeacon('session-v3', videoId, {
        event: 'firstframe',
        viewId: 'v3',
        viewerId: 'viewer-3',
        startupTimeMs: 9_000,
      }),
      cmcdBeacon('session-v3', videoId, { event: 'heartbeat', viewId: 'v3', watchTimeMs: 50_000 }),
      cmcdBeacon('session-v3', videoId, { event: 'error', viewId: 'v3', errorCode: 'X' }),
    ];
    await deliver(origin);
    expect(await getOverview(chdb.store, range)).toEqual(before);
  });
});

function fakeMessage(offset = 0) {
  return {
    topic: TOPICS.qoeBeacons.name,
    partition: 0,
    offset: String(offset),
    timestamp: RECEIVED_AT_MS,
    key: 'k',
    value: Buffer.alloc(0),
  };
}
