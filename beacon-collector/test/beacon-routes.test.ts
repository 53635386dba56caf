import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { eventually, makeBeacon, metricValue } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, envelopeOf, METRIC, makeView, RECEIVED_AT_MS, startCollector } from './helpers.js';

// What the server adds for an inject() request: 127.0.0.1, user agent 'lightMyRequest', and the
// newest beacon's clientTimeMs (BEACON_CLIENT_TIME_MS) 1234 ms before RECEIVED_AT_MS.
const INJECT_CONTEXT = { clockOffsetMs: 1234, ipPrefix: '127.0.0.0', deviceClass: 'other' };

/** A fresh spool directory (removed after the test) with a byte bound. */
async function spoolIn(dirs: string[], maxBytes = 1024 * 1024): Promise<{ dir: string; maxBytes: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'collector-spool-'));
  dirs.push(dir);
  return { dir, maxBytes };
}

describe('POST /v1/beacons on the embedded event log', () => {
  let collector: Collector;
  const dirs: string[] = [];
  afterEach(async () => {
    await collector?.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('accepts a batch with 202 and produces each beacon in an envelope keyed by its session', async () => {
    collector = await startCollector();
    const beacons = [
      ...makeView('session-a', ['viewstart', 'playrequest', 'firstframe']),
      ...makeView('session-b', ['viewstart', 'playrequest']),
    ];
    const response = await collector.post(beacons);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ accepted: 5 });

    const messages = await collector.produced(5);
    expect(messages.map((m) => m.key).sort()).toEqual([
      'session-a',
      'session-a',
      'session-a',
      'session-b',
      'session-b',
    ]);
    expect(
      messages.map(envelopeOf).sort((a, b) => a.beacon.beaconId.localeCompare(b.beacon.beaconId)),
    ).toEqual(
      beacons
        .map((beacon) => ({ beacon, receivedAtMs: RECEIVED_AT_MS, context: INJECT_CONTEXT }))
        .sort((a, b) => a.beacon.beaconId.localeCompare(b.beacon.beaconId)),
    );
    // One session, one partition, in the order sent: what per-view analytics relies on.
    const sessionA = messages.filter((m) => m.key === 'session-a');
    expect(new Set(sessionA.map((m) => m.partition)).size).toBe(1);
    expect(sessionA.map((m) => envelopeOf(m).beacon.seq)).toEqual([0, 1, 2]);
    expect(await metricValue(collector.registry, METRIC.accepted)).toBe(5);
  });

  it.each(['text/plain', 'text/plain;charset=UTF-8', 'application/json', 'application/json; charset=utf-8'])(
    'reads the batch sent as %s',
    async (contentType) => {
      collector = await startCollector();
      const response = await collector.post([makeBeacon()], { contentType });
      expect(response.statusCode).toBe(202);
      expect(await collector.produced(1)).toHaveLength(1);
    },
  );

  it('keeps the valid part of a mixed batch with 207, naming each refused index and why', async () => {
    collector = await startCollector();
    const good = [makeBeacon({ seq: 0 }), makeBeacon({ seq: 2 })];
    const response = await collector.post([
      good[0],
      makeBeacon({ seq: -1 }),
      good[1],
      { event: 'heartbeat' },
    ]);
    expect(response.statusCode).toBe(207);
    const body = response.json() as {
      accepted: number;
      rejected: { index: number; issues: { path: string }[] }[];
    };
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 3]);
    expect(body.rejected[0]?.issues.map((i) => i.path)).toContain('/seq');
    expect(body.rejected[1]?.issues.length).toBeGreaterThan(0);

    const messages = await collector.produced(2);
    expect(messages.map((m) => envelopeOf(m).beacon.beaconId).sort()).toEqual(
      good.map((b) => b.beaconId).sort(),
    );
    expect(await metricValue(collector.registry, METRIC.accepted)).toBe(2);
    expect(await metricValue(collector.registry, METRIC.rejected)).toBe(2);
  });

  it.each<[string, string]>([
    ['a body that is not JSON', '[{"schema":'],
    ['a JSON object instead of an array', JSON.stringify(makeBeacon())],
    ['an empty batch', '[]'],
    ['a batch where no beacon is valid', JSON.stringify([{ ...makeBeacon(), schema: 'qoe.beacon.v0' }, 42])],
    ['an unknown field (the schema is closed)', JSON.stringify([{ ...makeBeacon(), extra: true }])],
  ])('answers 400 ERR_VALIDATION to %s and produces nothing', async (_name, body) => {
    collector = await startCollector();
    const response = await collector.post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('ERR_VALIDATION');
    await collector.post([makeBeacon({ event: 'viewend' })]);
    const messages = await collector.produced(1);
    expect(messages.map((m) => envelopeOf(m).beacon.event)).toEqual(['viewend']);
  });

  describe('synthetic (simulated) viewers', () => {
    const marked = { synthetic: true, cohort: 'commuters.3g', networkClass: '3g-hsdpa' } as const;

    it('passes a marked beacon through to the event log unchanged', async () => {
      collector = await startCollector();
      const beacons = [makeBeacon(marked), makeBeacon({ synthetic: true })];
      expect((await collector.post(beacons)).statusCode).toBe(202);
      const produced = (await collector.produced(2)).map((m) => envelopeOf(m).beacon);
      expect(produced.sort((a, b) => a.beaconId.localeCompare(b.beaconId))).toEqual(
        [...beacons].sort((a, b) => a.beaconId.localeCompare(b.beaconId)),
      );
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a cohort without synthetic', { cohort: 'commuters.3g' }, 'cohort marks a simulated viewer'],
      [
        'a network class with synthetic: false',
        { synthetic: false, networkClass: '3g' },
        'networkClass marks',
      ],
      ['both without synthetic', { cohort: 'c', networkClass: '3g' }, 'cohort and networkClass mark'],
    ])(
      'refuses %s (half-marked) by index, keeps the rest, produces none of it',
      async (_what, marking, message) => {
        collector = await startCollector();
        const good = makeBeacon(marked);
        const half = makeBeacon(marking);
        const response = await collector.post([good, half]);
        expect(response.statusCode).toBe(207);
        expect(response.json()).toEqual({
          accepted: 1,
          rejected: [
            { index: 1, issues: [{ path: '/synthetic', message: expect.stringContaining(message) }] },
          ],
        });
        // Alone, it is a 400 ERR_VALIDATION naming the same reason.
        const alone = await collector.post([makeBeacon(marking)]);
        expect(alone.statusCode).toBe(400);
        expect(alone.json().error).toMatchObject({
          code: 'ERR_VALIDATION',
          details: { rejected: [{ index: 0, issues: [{ path: '/synthetic' }] }] },
        });
        await collector.post([makeBeacon({ event: 'viewend' })]);
        const produced = (await collector.produced(2)).map((m) => envelopeOf(m).beacon.beaconId);
        expect(produced).toHaveLength(2);
        expect(produced).not.toContain(half.beaconId);
        expect(await metricValue(collector.registry, METRIC.rejected)).toBe(2);
      },
    );
  });

  it('lists the reasons when no beacon is valid', async () => {
    collector = await startCollector();
    const response = await collector.post([makeBeacon({ sessionId: 'has spaces' })]);
    expect(response.json().error.details.rejected[0]).toMatchObject({
      index: 0,
      issues: [{ path: '/sessionId' }],
    });
  });

  it.each<[string, () => unknown, Partial<{ maxBodyBytes: number; maxBeacons: number }>]>([
    [
      'a body over the byte limit',
      () => Array.from({ length: 20 }, () => makeBeacon()),
      { maxBodyBytes: 2048 },
    ],
    [
      'more beacons than a batch may hold',
      () => Array.from({ length: 6 }, () => makeBeacon()),
      { maxBeacons: 5 },
    ],
  ])('answers 413 ERR_PAYLOAD_TOO_LARGE to %s', async (_name, body, limits) => {
    collector = await startCollector({ routes: limits });
    const response = await collector.post(body());
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
  });

  it.each([
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
  ])('answers 415 to a body sent as %s', async (contentType) => {
    collector = await startCollector();
    const response = await collector.post([makeBeacon()], { contentType });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 415 to a body without a content type', async () => {
    collector = await startCollector();
    const response = await collector.app.inject({
      method: 'POST',
      url: '/v1/beacons',
      payload: JSON.stringify([makeBeacon()]),
    });
    expect(response.statusCode).toBe(415);
  });

  it('reads a gzip-encoded batch', async () => {
    collector = await startCollector();
    const beacons = [makeBeacon(), makeBeacon()];
    const response = await collector.post(gzipSync(JSON.stringify(beacons)), {
      headers: { 'content-encoding': 'gzip' },
    });
    expect(response.statusCode).toBe(202);
    expect((await collector.produced(2)).map((m) => envelopeOf(m).beacon.beaconId).sort()).toEqual(
      beacons.map((b) => b.beaconId).sort(),
    );
  });

  it('answers 415 to a Content-Encoding it does not speak', async () => {
    collector = await startCollector();
    const response = await collector.post([makeBeacon()], { headers: { 'content-encoding': 'br' } });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.message).toMatch(/Content-Encoding br/);
  });

  it('answers 202 while the event log refuses only once the spool fsynced the batch, and produces it later', async () => {
    // A real fault of the embedded log: publishing to a topic nobody created fails every time.
    collector = await startCollector({ createTopic: false, routes: { spool: await spoolIn(dirs) } });
    const beacons = [makeBeacon(), makeBeacon(), makeBeacon()];
    const response = await collector.post(beacons);
    expect(response.statusCode).toBe(202);
    expect(await metricValue(collector.registry, METRIC.spooled)).toBe(3);
    expect(await metricValue(collector.registry, METRIC.buffered)).toBe(0);
    await eventuallyMetric(collector, METRIC.produceFailures, (n) => n >= 2);

    await collector.eventLog.ensureTopics([{ name: collector.topic, partitions: 3 }]);
    const messages = await collector.produced(3);
    expect(messages.map((m) => envelopeOf(m).beacon.beaconId).sort()).toEqual(
      beacons.map((b) => b.beaconId).sort(),
    );
    await eventuallyMetric(collector, METRIC.produced, (n) => n === 3);
  });

  it('answers 503 with Retry-After when the spool is full, keeping none of that batch', async () => {
    collector = await startCollector({
      createTopic: false,
      routes: { spool: await spoolIn(dirs, 1400), random: () => 0.5 },
    });
    const kept = [makeBeacon(), makeBeacon(), makeBeacon()];
    expect((await collector.post(kept)).statusCode).toBe(202);
    const refusedBatch = [makeBeacon({ event: 'viewend' }), makeBeacon(), makeBeacon()];
    const refused = await collector.post(refusedBatch);
    expect(refused.statusCode).toBe(503);
    // 5 s plus half of it again as jitter (random() = 0.5).
    expect(refused.headers['retry-after']).toBe('8');
    expect(refused.json().error.code).toBe('ERR_DEPENDENCY_UNAVAILABLE');
    expect(await metricValue(collector.registry, METRIC.refused, { reason: 'spool_full' })).toBe(1);
    expect(await metricValue(collector.registry, METRIC.accepted)).toBe(3);
    // A smaller one still fits; the refused batch left no trace: only the 202'd beacons come out.
    const small = makeBeacon();
    expect((await collector.post([small])).statusCode).toBe(202);
    await collector.eventLog.ensureTopics([{ name: collector.topic, partitions: 3 }]);
    const produced = (await collector.produced(4)).map((m) => envelopeOf(m).beacon.beaconId);
    expect(produced.sort()).toEqual([...kept, small].map((b) => b.beaconId).sort());
  });

  it('answers 503 when the event log refuses and there is no spool: 202 is never a promise in memory', async () => {
    collector = await startCollector({ createTopic: false, routes: { random: () => 0 } });
    const refused = await collector.post([makeBeacon()]);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(await metricValue(collector.registry, METRIC.refused, { reason: 'unavailable' })).toBe(1);
    expect(await metricValue(collector.registry, METRIC.accepted)).toBe(0);
  });

  it('keeps what the log never took across a shutdown in the spool, and the next start produces it', async () => {
    const spool = await spoolIn(dirs);
    const first = await startCollector({ createTopic: false, routes: { spool } });
    const beacons = [makeBeacon(), makeBeacon()];
    expect((await first.post(beacons)).statusCode).toBe(202);
    await first.close();

    // Same spool, a log that now has the topic: the new process replays before anything else.
    collector = await startCollector({ routes: { spool } });
    expect((await collector.produced(2)).map((m) => envelopeOf(m).beacon.beaconId).sort()).toEqual(
      beacons.map((b) => b.beaconId).sort(),
    );
  });

  describe('CORS', () => {
    it('lets any origin send when no origins are configured, on success and on error alike', async () => {
      collector = await startCollector();
      const headers = { origin: 'https://player.example' };
      const preflight = await collector.app.inject({
        method: 'OPTIONS',
        url: '/v1/beacons',
        headers: {
          ...headers,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type, content-encoding',
      });
      const accepted = await collector.post([makeBeacon()], { headers });
      const refused = await collector.post('not json', { headers });
      expect([accepted.statusCode, refused.statusCode]).toEqual([202, 400]);
      expect(accepted.headers['access-control-allow-origin']).toBe('*');
      expect(refused.headers['access-control-allow-origin']).toBe('*');
    });

    it.each<[string, number, string | undefined, string | undefined]>([
      ['an allowed origin', 202, 'https://watch.example', 'https://watch.example'],
      ['another origin', 403, 'https://evil.example', undefined],
      ['no origin (not a browser)', 202, undefined, undefined],
    ])('with configured origins, %s gets %i', async (_name, status, origin, allowOrigin) => {
      collector = await startCollector({ routes: { allowedOrigins: ['https://watch.example'] } });
      const response = await collector.post([makeBeacon()], { headers: origin ? { origin } : {} });
      expect(response.statusCode).toBe(status);
      expect(response.headers['access-control-allow-origin']).toBe(allowOrigin);
      if (status === 403) expect(await metricValue(collector.registry, METRIC.accepted)).toBe(0);
    });
  });
});

async function eventuallyMetric(
  collector: Collector,
  name: string,
  done: (value: number) => boolean,
): Promise<void> {
  await eventually(
    `${name} to settle`,
    async () => done(await metricValue(collector.registry, name)) || undefined,
  );
}
