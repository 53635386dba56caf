/**
 * The collector client against a real local server that refuses on purpose: 429 with Retry-After,
 * 503, 401, 400. What the user notices: beacons accepted once the server lets them in, refusals
 * counted per cause, and a run that stops after a few failures in a row instead of hammering.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COLLECTOR_MAX_BEACONS,
  COLLECTOR_MAX_BODY_BYTES,
  createCollectorClient,
} from '../src/collector-client.js';
import { RunStoppedError } from '../src/run-context.js';
import { type Answer, acceptAll, type RecordingServer, startRecordingServer } from './recording-server.js';

const makeBeacon = (i: number, overrides: Partial<Beacon> = {}): Beacon => ({
  schema: 'qoe.beacon.v1',
  beaconId: `b.${i}`,
  event: 'heartbeat',
  sessionId: 's',
  viewId: 'v',
  viewerId: 'w',
  videoId: 'vid',
  seq: i,
  clientTimeMs: 1_700_000_000_000 + i,
  monotonicMs: i,
  synthetic: true,
  ...overrides,
});
const beacons = (n: number) => Array.from({ length: n }, (_, i) => makeBeacon(i));

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('collector client', () => {
  it('packs batches within the collector limits and counts what it accepted', async () => {
    server = await startRecordingServer(acceptAll);
    // Long error messages make ~1 KB beacons, so the byte limit binds before the count.
    const big = Array.from({ length: 700 }, (_, i) => makeBeacon(i, { errorMessage: 'x'.repeat(900) }));
    const client = createCollectorClient({ target: server.url });
    await client.write([...beacons(1200), ...big]);
    await client.close();
    const sizes = server.requests.map((r) => (JSON.parse(r.body) as unknown[]).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1900);
    for (const request of server.requests) {
      expect(request.url).toBe('/v1/beacons');
      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(COLLECTOR_MAX_BODY_BYTES);
      expect((JSON.parse(request.body) as unknown[]).length).toBeLessThanOrEqual(COLLECTOR_MAX_BEACONS);
    }
    expect(client.counts()).toMatchObject({ accepted: 1900, refused: 0, failures: {}, inFlight: 0 });
  });

  it('waits as long as Retry-After says on 429, then delivers every beacon once', async () => {
    server = await startRecordingServer(
      (request, index): Answer =>
        index === 0
          ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'ERR_RATE_LIMITED' } } }
          : acceptAll(request),
    );
    // A backoff far longer than the test's timeout: only honouring Retry-After lets it finish.
    const client = createCollectorClient({ target: server.url, retryBaseMs: 600_000, retryMaxMs: 600_000 });
    await client.write(beacons(10));
    await client.close();
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
    expect(client.counts()).toMatchObject({ accepted: 10, refused: 0, failures: { '429': 1 } });
    expect(client.stopReason()).toBeUndefined();
  });

  it('stops after the bounded number of 503s in a row, with the reason', async () => {
    server = await startRecordingServer(() => ({
      status: 503,
      body: { error: { code: 'ERR_DEPENDENCY_UNAVAILABLE', message: 'beacons cannot be stored right now' } },
    }));
    const client = createCollectorClient({
      target: server.url,
      retryBaseMs: 5,
      maxConsecutiveFailures: 3,
      concurrency: 1,
    });
    await client.write(beacons(10));
    await client.close();
    expect(server.requests).toHaveLength(3);
    expect(client.counts()).toMatchObject({ accepted: 0, refused: 10, failures: { '503': 3 }, inFlight: 0 });
    expect(client.stopReason()).toMatch(
      /failed 3 requests in a row \(last: 503 ERR_DEPENDENCY_UNAVAILABLE: beacons cannot be stored right now\); stopped$/,
    );
    await expect(client.write(beacons(1))).rejects.toBeInstanceOf(RunStoppedError);
  });

  it('gives up on each batch a 401 refuses, and stops when every batch is refused', async () => {
    server = await startRecordingServer(() => ({
      status: 401,
      body: { error: { code: 'ERR_UNAUTHORIZED' } },
    }));
    const client = createCollectorClient({
      target: server.url,
      maxBeaconsPerBatch: 2,
      maxConsecutiveFailures: 3,
      concurrency: 1,
    });
    await expect(client.write(beacons(20))).rejects.toBeInstanceOf(RunStoppedError);
    await client.close();
    expect(server.requests).toHaveLength(3);
    expect(client.counts()).toMatchObject({ accepted: 0, refused: 20, failures: { '401': 3 } });
    expect(client.stopReason()).toContain('401 ERR_UNAUTHORIZED');
  });

  it('counts a 400 by its error code and 207 rejections per beacon, and carries on', async () => {
    server = await startRecordingServer((request, index): Answer => {
      if (index === 0)
        return { status: 400, body: { error: { code: 'ERR_VALIDATION', message: 'none valid' } } };
      const n = (JSON.parse(request.body) as unknown[]).length;
      return { status: 207, body: { accepted: n - 1, rejected: [{ index: 0, issues: [] }] } };
    });
    const client = createCollectorClient({ target: server.url, maxBeaconsPerBatch: 5, concurrency: 1 });
    await client.write(beacons(15));
    await client.close();
    expect(client.counts()).toMatchObject({
      accepted: 8,
      refused: 7,
      failures: { '400 ERR_VALIDATION': 1, '207 rejected': 2 },
    });
    expect(client.stopReason()).toBeUndefined();
  });
});
