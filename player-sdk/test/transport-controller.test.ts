import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTransport, type FetchLike } from '../src/transport-controller.js';
import { makeBeacon, useFakeTime } from './helpers.js';

interface Sent {
  via: 'fetch' | 'sendBeacon';
  seqs: number[];
  init?: RequestInit;
  blobType?: string;
}

/** A collector stand-in that records each delivery and answers with the next scripted status. */
function createCollector(statuses: (number | 'network-error')[] = []) {
  const sent: Sent[] = [];
  let beaconQueueFull = false;
  const fetchImpl: FetchLike = async (_url, init) => {
    sent.push({ via: 'fetch', seqs: seqsOf(String(init.body)), init });
    const status = statuses.shift() ?? 202;
    if (status === 'network-error') throw new TypeError('Failed to fetch');
    return { status };
  };
  const sendBeacon = (_url: string, data: Blob): boolean => {
    if (beaconQueueFull) return false;
    // Blob.text() is async; the body is captured synchronously through the recorder below.
    pendingBlobs.push(data);
    return true;
  };
  const pendingBlobs: Blob[] = [];
  return {
    sent,
    fetch: vi.fn(fetchImpl),
    sendBeacon: vi.fn(sendBeacon),
    fillBeaconQueue: () => {
      beaconQueueFull = true;
    },
    async beacons(): Promise<Sent[]> {
      return Promise.all(
        pendingBlobs.map(async (blob) => ({
          via: 'sendBeacon' as const,
          seqs: seqsOf(await blob.text()),
          blobType: blob.type,
        })),
      );
    },
  };
}

const seqsOf = (body: string): number[] => (JSON.parse(body) as { seq: number }[]).map((b) => b.seq);
const beacons = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => makeBeacon({ seq: from + i }));

function setup(statuses: (number | 'network-error')[] = [], maxQueue?: number) {
  const collector = createCollector(statuses);
  const transport = createTransport({
    url: 'https://collector.test/v1/beacons',
    fetch: collector.fetch,
    sendBeacon: collector.sendBeacon,
    ...(maxQueue ? { maxQueue } : {}),
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
    expect(collector.sent.map((s) => s.seqs)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
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

  it.each<[string, number | 'network-error', boolean]>([
    ['503 (the collector could not keep them)', 503, true],
    ['429', 429, true],
    ['a network failure', 'network-error', true],
    ['400 (invalid beacons are not sent again)', 400, false],
    ['207 (the valid part was kept)', 207, false],
  ])('after %s, the batch is resent on the next tick: %s', async (_name, status, resent) => {
    const { collector, transport } = setup([status]);
    transport.enqueue(makeBeacon({ seq: 0 }));
    await vi.advanceTimersByTimeAsync(5000); // first attempt, and its answer
    await vi.advanceTimersByTimeAsync(5000); // the next tick
    expect(collector.sent.map((s) => s.seqs)).toEqual(resent ? [[0], [0]] : [[0]]);
    expect(transport.pending()).toBe(0);
  });

  it('keeps what was put back ahead of newer beacons and waits for the next tick to retry', async () => {
    const { collector, transport } = setup([503]);
    for (const beacon of beacons(0, 10)) transport.enqueue(beacon);
    await vi.advanceTimersByTimeAsync(0);
    for (const beacon of beacons(10, 5)) transport.enqueue(beacon);
    expect(collector.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(collector.sent.map((s) => s.seqs)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14],
    ]);
  });

  it('bounds the queue while the collector is away, dropping the oldest', async () => {
    const { collector, transport } = setup(Array(10).fill(503), 15);
    for (const beacon of beacons(0, 10)) transport.enqueue(beacon);
    await vi.advanceTimersByTimeAsync(0);
    for (const beacon of beacons(10, 20)) transport.enqueue(beacon);
    expect(transport.pending()).toBe(15);
    expect(transport.dropped()).toBe(15);
    collector.sent.length = 0;
    await vi.advanceTimersByTimeAsync(5000);
    expect(collector.sent.flatMap((s) => s.seqs)).toEqual(Array.from({ length: 15 }, (_, i) => 15 + i));
  });

  it('at unload hands everything to sendBeacon as text/plain blobs in batches of 10', async () => {
    const { collector, transport } = setup();
    for (const beacon of beacons(0, 9)) transport.enqueue(beacon);
    transport.flush('unload');
    transport.enqueue(makeBeacon({ seq: 9 }));
    transport.flush('unload');
    expect(collector.fetch).not.toHaveBeenCalled();
    expect(await collector.beacons()).toEqual([
      { via: 'sendBeacon', seqs: [0, 1, 2, 3, 4, 5, 6, 7, 8], blobType: 'text/plain' },
      { via: 'sendBeacon', seqs: [9], blobType: 'text/plain' },
    ]);
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
    expect(transport.pending()).toBe(10);
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
