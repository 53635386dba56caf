/**
 * The bounded buffer between the request path and the event log, on the real embedded log. Faults are
 * real ones: a topic that does not exist yet (UnknownTopicError) and a closed log.
 */
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { afterEach, describe, expect, it } from 'vitest';
import { type CmcdBeaconOutputOptions, createCmcdBeaconOutput } from '../src/cmcd-beacon-output.js';
import { createDeliveryMetrics } from '../src/delivery-metrics.js';

const logger = createLogger({ name: 'beacon-buffer-test', level: 'silent' });
const TOPIC = 'qoe-beacons';

const opened: EventLog[] = [];
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined);
});

/** The real log, with every publish call it got recorded (the calls are the behaviour under test). */
async function openLog(options: { topic?: boolean } = {}) {
  const log = createMemoryEventLog();
  opened.push(log);
  if (options.topic ?? true) await log.ensureTopics([{ name: TOPIC, partitions: 3 }]);
  const calls: EventMessage[][] = [];
  const publish: EventLog['publish'] = (topic, messages) => {
    calls.push(messages);
    return log.publish(topic, messages);
  };
  return { log, calls, eventLog: { publish } };
}

/** The first `count` messages on the topic, as a consumer reads them (one key: one partition, in order). */
async function stored(log: EventLog, count: number): Promise<string[]> {
  const values: string[] = [];
  const subscription = await log.subscribe({
    groupId: uniqueName('reader'),
    topics: [TOPIC],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const m of batch.messages) values.push(m.value.toString());
    },
  });
  try {
    return await eventually(`${count} messages on ${TOPIC}`, () =>
      values.length >= count ? values : undefined,
    );
  } finally {
    await subscription.stop();
  }
}

const message = (i: number, key = 'session-1'): EventMessage => ({ key, value: Buffer.from(`beacon-${i}`) });

function makeBuffer(eventLog: Pick<EventLog, 'publish'>, options: CmcdBeaconOutputOptions = {}) {
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const buffer = createCmcdBeaconOutput({
    eventLog,
    topic: TOPIC,
    logger,
    metrics: createDeliveryMetrics(registry),
    ...options,
  });
  return { buffer, registry };
}

const counter = metricValue;
const dropped = (registry: Registry, reason: string) =>
  counter(registry, 'streamloop_delivery_cmcd_beacons_dropped_total', { reason });

describe('CMCD beacon output', () => {
  it('publishes once per flush: a full batch at once, the rest after the interval', async () => {
    const { calls, eventLog } = await openLog();
    const { buffer, registry } = makeBuffer(eventLog, { flushCount: 4, flushIntervalMs: 30 });
    for (let i = 0; i < 6; i++) buffer.add(message(i));
    await eventually('both flushes', () => (calls.length === 2 ? true : undefined));
    expect(calls.map((batch) => batch.map((m) => m.value.toString()))).toEqual([
      ['beacon-0', 'beacon-1', 'beacon-2', 'beacon-3'],
      ['beacon-4', 'beacon-5'],
    ]);
    expect(await counter(registry, 'streamloop_delivery_cmcd_beacons_published_total')).toBe(6);
    await buffer.close();
  });

  it('keeps beacons through a failing publish and sends them, in order, once the log takes them', async () => {
    const { log, calls, eventLog } = await openLog({ topic: false });
    const { buffer, registry } = makeBuffer(eventLog, { flushIntervalMs: 20 });
    for (let i = 0; i < 3; i++) buffer.add(message(i));
    await eventually('a failed publish', async () =>
      (await counter(registry, 'streamloop_delivery_cmcd_publish_failures_total')) > 0 ? true : undefined,
    );
    expect(buffer.size).toBe(3);

    buffer.add(message(3));
    await log.ensureTopics([{ name: TOPIC, partitions: 3 }]);
    await eventually('the buffer to empty', () => (buffer.size === 0 ? true : undefined));
    // The failed batch went again as it was (a resend the idempotent producer can recognise), the
    // newcomer after it.
    expect(calls.filter((batch) => batch.length === 3).length).toBeGreaterThanOrEqual(2);
    expect(calls.at(-1)?.map((m) => m.value.toString())).toEqual(['beacon-3']);
    expect(await stored(log, 4)).toEqual(['beacon-0', 'beacon-1', 'beacon-2', 'beacon-3']);
    expect(await dropped(registry, 'buffer_full')).toBe(0);
    await buffer.close();
  });

  it('holds at most maxBuffered and counts every beacon it had to drop', async () => {
    const { eventLog } = await openLog({ topic: false });
    const { buffer, registry } = makeBuffer(eventLog, {
      maxBuffered: 5,
      flushCount: 100,
      flushIntervalMs: 3_600_000,
      // How long closing tries before it counts what is left.
      publishTimeoutMs: 200,
    });
    for (let i = 0; i < 8; i++) buffer.add(message(i));
    expect(buffer.size).toBe(5);
    expect(await dropped(registry, 'buffer_full')).toBe(3);
    // Closing cannot publish them (no topic): they are counted, not lost silently.
    await buffer.close();
    expect(await dropped(registry, 'shutdown')).toBe(5);
    buffer.add(message(9));
    expect(await dropped(registry, 'shutdown')).toBe(6);
  });

  it('publishes what is left when it closes, without waiting for the interval', async () => {
    const { log, eventLog } = await openLog();
    const { buffer, registry } = makeBuffer(eventLog, { flushIntervalMs: 3_600_000 });
    buffer.add(message(1));
    buffer.add(message(2));
    await buffer.close();
    expect(await stored(log, 2)).toEqual(['beacon-1', 'beacon-2']);
    expect(await dropped(registry, 'shutdown')).toBe(0);
  });

  it('refuses options that would never flush', () => {
    const eventLog = { publish: async () => undefined };
    expect(() => makeBuffer(eventLog, { flushCount: 0 })).toThrow(/flushCount/);
    expect(() => makeBuffer(eventLog, { flushIntervalMs: -1 })).toThrow(/flushIntervalMs/);
  });
});
