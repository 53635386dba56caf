/**
 * A small site runs `npm start` for weeks: the embedded log must not grow with everything ever
 * published. One million beacon-sized messages go through each embedded adapter with a consumer
 * group keeping up (as analytics does); the memory the log holds stays flat, and the file log's
 * disk stays a few segments per partition, because what every group committed is released.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eventually, makeBeacon } from '@streamloop/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventLog, EventMessage } from '../src/event-log.js';
import { createFileEventLog } from '../src/file-event-log.js';
import { createMemoryEventLog } from '../src/memory-event-log.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TOTAL = 1_000_000;
const BATCH = 2_000;
const PARTITIONS = 12;
const SEGMENT_BYTES = 1024 * 1024;
const MAX_LAG = 50_000;

/** Heap and Buffer memory after a full collection: what the process really holds. */
function heldBytes(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const adapters: [string, () => Promise<{ log: EventLog; dir?: string }>][] = [
  [
    'file log',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'event-log-memory-'));
      dirs.push(dir);
      return { log: await createFileEventLog({ dir, maxSegmentBytes: SEGMENT_BYTES }), dir };
    },
  ],
  ['in-memory log', async () => ({ log: createMemoryEventLog() })],
];

describe.each(adapters)('embedded %s over 1 M beacons', (_, open) => {
  it('holds flat memory while a group keeps up, and releases what it committed', async () => {
    const { log, dir } = await open();
    const topic = 'qoe-beacons';
    await log.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    let consumed = 0;
    const seen = new Set<number>();
    const sub = await log.subscribe({
      groupId: 'analytics',
      topics: [topic],
      fromBeginning: true,
      maxBatchSize: 500,
      async handleBatch(batch) {
        consumed += batch.messages.length;
        // Spot check that what comes out is what went in, without keeping a million ids.
        for (const m of batch.messages) if (Number(m.headers?.n) % 1000 === 0) seen.add(Number(m.headers?.n));
      },
    });
    const template = Buffer.from(JSON.stringify(makeBeacon({ videoId: 'video-memory-test' })));
    const batchOf = (start: number): EventMessage[] =>
      Array.from({ length: BATCH }, (_, i) => ({
        key: `session-${(start + i) % 5000}`,
        value: template,
        headers: { n: String(start + i) },
      }));

    const samples: number[] = [];
    let warm = 0;
    let peak = 0;
    for (let published = 0; published < TOTAL; published += BATCH) {
      await log.publish(topic, batchOf(published));
      // A pipeline keeps up with its input; the test waits like a collector's backpressure would.
      if (published - consumed > MAX_LAG) {
        await eventually(
          'the group to catch up',
          () => (published - consumed <= MAX_LAG / 2 ? true : undefined),
          {
            timeoutMs: 120_000,
            intervalMs: 10,
          },
        );
      }
      if (published % 100_000 === 0 && published > 0) {
        // Measured with the group caught up: what is left is what the log keeps of committed messages.
        await eventually('the group to catch up', () => (consumed >= published + BATCH ? true : undefined), {
          timeoutMs: 120_000,
          intervalMs: 10,
        });
        const held = heldBytes();
        samples.push(Math.round(held / 2 ** 20));
        if (published === 100_000) warm = held;
        else peak = Math.max(peak, held);
      }
    }
    await eventually('every message consumed', () => (consumed >= TOTAL ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    peak = Math.max(peak, heldBytes());
    await sub.stop();
    const disk = dir === undefined ? undefined : await dirBytes(dir);
    await log.close();

    expect(consumed).toBe(TOTAL);
    expect(seen.size).toBe(TOTAL / 1000);
    expect(warm).toBeGreaterThan(0);
    const growth = peak - warm;
    process.stdout.write(
      `embedded log over ${TOTAL} beacons of ${template.length} B: held ${(warm / 2 ** 20).toFixed(1)} MiB at 100k, ` +
        `peak ${(peak / 2 ** 20).toFixed(1)} MiB after (MiB per 100k: ${samples.join(' ')})${disk === undefined ? '' : `, ${(disk / 2 ** 20).toFixed(1)} MiB on disk`}\n`,
    );
    // Flat: the 900k messages after the first 100k weigh ~300 MB; the log may keep a few MiB more.
    expect(growth).toBeLessThan(16 * 2 ** 20);
    if (disk !== undefined) {
      // A few segments per partition, not the ~330 MB that went through.
      expect(disk).toBeLessThan(PARTITIONS * 4 * SEGMENT_BYTES);
    }
  }, 600_000);
});
