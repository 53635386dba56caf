/**
 * What the embedded log must get right beyond the shared contract, where it does by hand what a
 * Kafka broker does for the real adapter: moving a partition between members safely, and fairness.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventLog, Subscription } from '../src/event-log.js';
import { createMemoryEventLog } from '../src/memory-event-log.js';
import { partitionForKey } from '../src/memory-topic.js';
import { createRecorder, deferred, makeMessage, makeSequence } from './helpers.js';

const yieldToLoops = () => new Promise<void>((resolve) => setImmediate(resolve));

function keyOnPartition(partition: number, partitions: number): string {
  for (let i = 0; ; i++) if (partitionForKey(`k${i}`, partitions) === partition) return `k${i}`;
}

describe('embedded in-process log', () => {
  let log: EventLog;
  const subs: Subscription[] = [];
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await log.close();
  });

  it('a partition that moves mid-batch waits for the old owner to finish and commit', async () => {
    log = createMemoryEventLog();
    await log.ensureTopics([{ name: 't', partitions: 2 }]);
    const key = keyOnPartition(1, 2);
    let oldOwnerBusy = false;
    let overlapped = false;
    const gate = deferred();
    const oldOwner = createRecorder({ gate: gate.promise });
    subs.push(
      await log.subscribe({
        groupId: 'g',
        topics: ['t'],
        fromBeginning: true,
        async handleBatch(batch) {
          oldOwnerBusy = true;
          await oldOwner.handleBatch(batch);
          oldOwnerBusy = false;
        },
      }),
    );
    await log.publish('t', [makeMessage({ id: 'a', key }), makeMessage({ id: 'b', key })]);
    await yieldToLoops();
    expect(oldOwnerBusy).toBe(true);

    // The newcomer takes partition 1 (round-robin in join order) while it is mid-batch.
    const newOwner = createRecorder();
    subs.push(
      await log.subscribe({
        groupId: 'g',
        topics: ['t'],
        fromBeginning: true,
        async handleBatch(batch) {
          if (oldOwnerBusy && batch.partition === 1) overlapped = true;
          await newOwner.handleBatch(batch);
        },
      }),
    );
    await log.publish('t', [makeMessage({ id: 'c', key })]);
    await yieldToLoops();
    expect(newOwner.handled).toEqual([]);

    gate.resolve();
    await expect.poll(() => newOwner.ids()).toEqual(['c']);
    expect(oldOwner.ids()).toEqual(['a', 'b']);
    expect(overlapped).toBe(false);
  });

  it('members only get partitions of the topics they subscribed to', async () => {
    log = createMemoryEventLog();
    await log.ensureTopics([
      { name: 'jobs', partitions: 2 },
      { name: 'beacons', partitions: 2 },
    ]);
    const jobs = createRecorder();
    const beacons = createRecorder();
    subs.push(await log.subscribe({ groupId: 'g', topics: ['jobs'], fromBeginning: true, ...jobs }));
    subs.push(await log.subscribe({ groupId: 'g', topics: ['beacons'], fromBeginning: true, ...beacons }));
    await log.publish('jobs', makeSequence(6, 6, 'job'));
    await log.publish('beacons', makeSequence(6, 6, 'beacon'));

    await expect.poll(() => jobs.handled.length + beacons.handled.length).toBe(12);
    expect(new Set(jobs.handled.map((m) => m.topic))).toEqual(new Set(['jobs']));
    expect(new Set(beacons.handled.map((m) => m.topic))).toEqual(new Set(['beacons']));
  });

  it('a deep backlog on one partition does not starve the others', async () => {
    log = createMemoryEventLog();
    await log.ensureTopics([{ name: 't', partitions: 2 }]);
    const busy = keyOnPartition(0, 2);
    const quiet = keyOnPartition(1, 2);
    await log.publish(
      't',
      Array.from({ length: 200 }, (_, i) => makeMessage({ id: `busy-${i}`, key: busy })),
    );
    await log.publish('t', [makeMessage({ id: 'quiet', key: quiet })]);
    const recorder = createRecorder();
    subs.push(
      await log.subscribe({
        groupId: 'g',
        topics: ['t'],
        fromBeginning: true,
        maxBatchSize: 10,
        ...recorder,
      }),
    );

    await expect.poll(() => recorder.handled.length).toBe(201);
    expect(recorder.batches.findIndex((b) => b.partition === 1)).toBeLessThan(2);
  });
});
