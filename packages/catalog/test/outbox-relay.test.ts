/**
 * The outbox relay as every writer process runs it, on PostgreSQL (several relays and a writer at
 * once, as ingest, transcode and their replicas do) and on PGlite: each row reaches the event log
 * once, and a publish that fails leaves the row for the next pass.
 */
import { createLogger } from '@streamloop/core/logger';
import { eventually, uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import { createOutboxRelay, publishCommitted } from '../src/outbox-relay.js';
import { enqueueOutbox } from '../src/outbox-repository.js';
import { TEST_CATALOGS } from '../src/testing.js';

const logger = createLogger({ name: 'outbox-relay-test', level: 'silent' });
const TOPIC = 'relay-test';

/** Every message that reached the topic, by key (a second copy would show as a count of 2). */
async function recordTopic(eventLog: EventLog) {
  const seen = new Map<string, number>();
  const subscription = await eventLog.subscribe({
    groupId: uniqueName('relay-test'),
    topics: [TOPIC],
    fromBeginning: true,
    handleBatch: async (batch) => {
      for (const m of batch.messages) seen.set(m.key, (seen.get(m.key) ?? 0) + 1);
    },
  });
  return { seen, stop: () => subscription.stop() };
}

describe.each(TEST_CATALOGS)('outbox relay on %s', (_label, open) => {
  let catalog: Catalog;
  let teardown: () => Promise<void>;
  beforeAll(async () => {
    ({ catalog, teardown } = await open());
  });
  afterAll(() => teardown?.());

  it('publishes each row once while three relays and the writer itself race for them', async () => {
    const eventLog = createMemoryEventLog({ logger });
    await eventLog.ensureTopics([{ name: TOPIC, partitions: 3 }]);
    const recorded = await recordTopic(eventLog);
    const keys = Array.from({ length: 40 }, (_, i) => `row-${i}`);
    const ids: number[] = [];
    for (const key of keys) ids.push(await enqueueOutbox(catalog, { topic: TOPIC, key, payload: { key } }));

    const relays = [1, 2, 3].map(() => createOutboxRelay({ catalog, eventLog, logger, batchSize: 7 }));
    const published = await Promise.all([
      ...relays.flatMap((relay) => [relay.runOnce(), relay.runOnce(), relay.runOnce()]),
      publishCommitted({ catalog, eventLog }, ids.slice(0, 20)),
      publishCommitted({ catalog, eventLog }, ids.slice(10, 30)),
    ]);
    // Whatever the passes above left (each claims at most 7), the next passes take.
    while ((await relays[0]!.runOnce()) > 0);

    expect(published.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(keys.length);
    await eventually('every row on the topic', () => (recorded.seen.size === keys.length ? true : undefined));
    expect([...recorded.seen.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(await relays[1]!.runOnce()).toBe(0);
    await recorded.stop();
    await eventLog.close();
  });

  it('keeps a row whose publish failed and publishes it on a later pass', async () => {
    // No topic yet: the publish fails for real, after the claim.
    const eventLog = createMemoryEventLog({ logger });
    const relay = createOutboxRelay({ catalog, eventLog, logger });
    const id = await enqueueOutbox(catalog, { topic: TOPIC, key: 'late', payload: { late: true } });
    await expect(relay.runOnce()).rejects.toThrow(/does not exist/);
    await expect(publishCommitted({ catalog, eventLog }, [id])).rejects.toThrow(/does not exist/);

    await eventLog.ensureTopics([{ name: TOPIC, partitions: 3 }]);
    const recorded = await recordTopic(eventLog);
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.runOnce()).toBe(0);
    await eventually('the late row on the topic', () => (recorded.seen.get('late') === 1 ? true : undefined));
    await recorded.stop();
    await eventLog.close();
  });
});
