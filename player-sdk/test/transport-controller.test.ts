import type { Beacon } from '@streamloop/core/schemas/beacon';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTransport, type FetchLike, retryAfterMs } from '../src/transport-controller.js';
import { makeBeacon } from '@streamloop/core/testing';
import { useFakeTime } from './helpers.js';

interface Sent {
  via: 'fetch' | 'sendBeacon';
  seqs: number[];
  bytes: number;
  at: number;
  init?: RequestInit;
  blobType?: string;
}

type Answer = number | 'network-error' | { status: number; retryAfter: string };

/** A collector stand-in that records each delivery and answers with the next scripted answer. */
function createCollector(answers: Answer[] = []) {
  const sent: Sent[] = [];
  let beaconQueueFull = false;
  const pendingBlobs: Blob[] = [];
  const fetchImpl: FetchLike = async (_url, init) => {
    const body = String(init.body);
    sent.push({
      via: 'fetch',
      seqs: seqsOf(body),
      bytes: new TextEncoder().encode(body).length,
      at: Date.now(),
      init,
    });
    const answer = answers.shift() ?? 202;
    if (answer === 'network-error') throw new TypeError('Failed to fetch');
    if (typeof answer === 'number') return { status: answer };
    return { status: answer.status, headers: new Headers({ 'retry-after': answer.retryAfter }) };
  };
  const sendBeacon = (_url: string, data: Blob): boolean => {
    if (beaconQueueFull) return false;
    pendingBlobs.push(data);
    return true;
  };
  return {
    sent,
    fetch: vi.fn(fetchImpl),
    sendBeacon: vi.fn(sendBeacon),
    fillBeaconQueue: () => {
      beaconQueueFull = true;
    },
    async beacons(): Promise<Sent[]> {
      return Promise.all(
        pendingBlobs.map(async (blob) => {
          const body = await blob.text();
          return {
            via: 'sendBeacon' as const,
            seqs: seqsOf(body),
            bytes: blob.size,
            at: 0,
            blobType: blob.type,
          };
        }),
      );
    },
  };
}

const seqsOf = (body: string): number[] => (JSON.parse(body) as { seq: number }[]).map((b) => b.seq);
const beacons = (from: number, count: number, overrides: Partial<Beacon> = {}) =>
  Array.from({ length: count }, (_, i) => makeBeacon({ seq: from + i, ...overrides }));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

function setup(answers: Answer[] = [], options: { maxQueue?: number; maxBodyBytes?: number } = {}) {
  const collector = createCollector(answers);
  const transport = createTransport({
    url: 'https://collector.test/v1/beacons',
    fetch: collector.fetch,
    sendBeacon: collector.sendBeacon,
    random: () => 0.5,
    ...options,
  });
  return { collector, transport };
}

describe('transport controller', () => {
  beforeEach(useFakeTime);
  afterEach(() => vi.useRealTimers());

  it('sends a batch as soon as it holds 10 beacons, as a keepalive text/plain POST of a JSON array', () => {
    const { collector, transport } = setup();
    for (const beacon of beacons(0, 9)) transport.enqueue(beacon);
    expect(collector.sent).toEqual([]);
    transport.enqueue(makeBeacon({ seq: 9 }));
    expect(collector.sent.map((s) => s.seqs)).toEqual([range(0, 10)]);
    expect(collector.sent[0]?.init).toMatchObject({
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'text/plain' },
    });
  });

  it('sends a partial batch 5 s after its first beacon', () => {
    const { collector, transport } = setup();
    transport.enqueue(makeBeacon({ seq: 0 }));
    vi.advanceTimersByTime(3000);
    transport.enqueue(makeBeacon({ seq: 1 }));
    vi.advanceTimersByTime(1999);
    expect(collector.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(collector.sent.map((s) => s.seqs)).toEqual([[0, 1]]);
  });

  it('lets heartbeats alone wait for company up to heartbeatHoldMs, but not a beacon that arrives with them', async () => {
    const collector = createCollector([]);
    const transport = createTransport({
      url: 'https://collector.test/v1/beacons',
      fetch: collector.fetch,
      heartbeatHoldMs: 20_000,
    });
    transport.enqueue(makeBeacon({ seq: 0, event: 'heartbeat' }));
    await vi.advanceTimersByTimeAsync(10_000);
    transport.enqueue(makeBeacon({ seq: 1, event: 'heartbeat' }));
    await vi.advanceTimersByTimeAsync(9999);
    expect(collector.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(collector.sent.map((s) => s.seqs)).toEqual([[0, 1]]);

    transport.enqueue(makeBeacon({ seq: 2, event: 'heartbeat' }));
    await vi.advanceTimersByTimeAsync(1000);
    transport.enqueue(makeBeacon({ seq: 3, event: 'rebufferstart' }));
    await vi.advanceTimersByTimeAsync(4999);
    expect(collector.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(collector.sent.map((s) => s.seqs)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('keeps one request on the wire at a time and sends the rest, in order, as answers come', async () => {
    const { collector, transport } = setup();
    for (const beacon of beacons(0, 25)) transport.enqueue(beacon);
    expect(collector.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(collector.sent.map((s) => s.seqs)).toEqual([range(0, 10), range(10, 10), range(20, 5)]);
    expect(transport.stats()).toEqual({ sent: 25, pending: 0, dropped: 0, failures: 0 });
  });

  it('splits batches below the byte limit however few beacons they hold', async () => {
    const { collector, transport } = setup([], { maxBodyBytes: 4000 });
    const big = beacons(0, 10, { errorMessage: 'x'.repeat(1000) });
    for (const beacon of big) transport.enqueue(beacon);
    await vi.advanceTimersByTimeAsync(0);
    expect(collector.sent.flatMap((s) => s.seqs)).toEqual(range(0, 10));
    expect(collector.sent.length).toBeGreaterThan(1);
    for (const request of collector.sent) expect(request.bytes).toBeLessThanOrEqual(4000);
  });

  it.each<[string, Answer, boolean]>([
    ['503 (the collector could not keep them)', 503, true],
    ['429', 429, true],
    ['a network failure', 'network-error', true],
    ['400 (invalid beacons are not sent again)', 400, false],
    ['207 (the valid part was kept)', 207, false],
  ])('after %s, the batch is sent again: %s', async (_name, answer, resent) => {
    const { collector, transport } = setup([answer]);
    transport.enqueue(makeBeacon({ seq: 0 }));
    await vi.advanceTimersByTimeAsync(5000); // first attempt, and its answer
    await vi.advanceTimersByTimeAsync(1000); // the first retry (backoff 1 s, jitter at its middle)
    expect(collector.sent.map((s) => s.seqs)).toEqual(resent ? [[0], [0]] : [[0]]);
    expect(transport.stats().pending).toBe(0);
  });

  it('backs off exponentially while the collector keeps failing, then resets', async () => {
    const { collector, transport } = setup([503, 503, 503, 503]);
    transport.enqueue(makeBeacon({ seq: 0 }));
    transport.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    // Equal jitter at its middle: 3/4 of 1 s, 2 s, 4 s, 8 s after each failure.
    const gaps = collector.sent.slice(1).map((s, i) => s.at - (collector.sent[i]?.at ?? 0));
    expect(gaps).toEqual([750, 1500, 3000, 6000]);
    expect(transport.stats()).toMatchObject({ sent: 1, failures: 0 });
  });

  it('honours Retry-After, in seconds or as a date', async () => {
    const { collector, transport } = setup([{ status: 503, retryAfter: '7' }]);
    transport.enqueue(makeBeacon({ seq: 0 }));
    transport.flush();
    await vi.advanceTimersByTimeAsync(6999);
    expect(collector.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(collector.sent).toHaveLength(2);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('keeps what was put back ahead of newer beacons, and loses nothing through a 10 s outage', async () => {
    const { collector, transport } = setup(Array(6).fill({ status: 503, retryAfter: '2' }));
    for (let seq = 0; seq < 40; seq++) {
      transport.enqueue(makeBeacon({ seq }));
      await vi.advanceTimersByTimeAsync(500);
    }
    await vi.advanceTimersByTimeAsync(30_000);
    const delivered = collector.sent.slice(6).flatMap((s) => s.seqs);
    expect(delivered).toEqual(range(0, 40));
    expect(transport.stats()).toMatchObject({ sent: 40, pending: 0, dropped: 0, failures: 0 });
  });

  it('bounds the queue while the collector is away: heartbeats go first, then the oldest, all counted', async () => {
    const { transport } = setup(Array(10).fill(503), { maxQueue: 15 });
    for (const beacon of beacons(0, 10)) transport.enqueue(beacon);
    await vi.advanceTimersByTimeAsync(0);
    transport.enqueue(makeBeacon({ seq: 10, event: 'heartbeat' }));
    for (const beacon of beacons(11, 9, { event: 'rebufferstart' })) transport.enqueue(beacon);
    expect(transport.stats()).toMatchObject({ pending: 15, dropped: 5 });
  });

  it('at unload hands everything to sendBeacon as text/plain blobs, even while backing off', async () => {
    const { collector, transport } = setup([503]);
    for (const beacon of beacons(0, 12)) transport.enqueue(beacon);
    await vi.advanceTimersByTimeAsync(0); // the first 10 failed and wait for their retry
    transport.flush('unload');
    expect(await collector.beacons()).toEqual([
      expect.objectContaining({ seqs: range(0, 10), blobType: 'text/plain' }),
      expect.objectContaining({ seqs: [10, 11], blobType: 'text/plain' }),
    ]);
    expect(transport.stats().pending).toBe(0);
  });

  it('falls back to fetch(keepalive) when the browser refuses the beacon', () => {
    const { collector, transport } = setup();
    collector.fillBeaconQueue();
    transport.enqueue(makeBeacon({ seq: 0 }));
    transport.flush('unload');
    expect(collector.sent.map((s) => [s.via, s.seqs])).toEqual([['fetch', [0]]]);
  });

  it('never throws into the player when fetch throws synchronously', () => {
    const transport = createTransport({
      url: '/v1/beacons',
      fetch: () => {
        throw new TypeError('keepalive request exceeds quota');
      },
    });
    expect(() => {
      for (const beacon of beacons(0, 10)) transport.enqueue(beacon);
    }).not.toThrow();
    expect(transport.stats()).toMatchObject({ pending: 10, failures: 1 });
  });

  it('stops its timer on destroy', () => {
    const { collector, transport } = setup();
    transport.enqueue(makeBeacon());
    transport.destroy();
    vi.advanceTimersByTime(60_000);
    expect(collector.sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
