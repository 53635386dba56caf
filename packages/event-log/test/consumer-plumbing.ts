/**
 * The consumer plumbing every service builds on — supervised consumer, batching publisher,
 * dead-letter output — written once and run on every adapter (event-log.contract.test.ts), so a
 * consumer behaves the same on Kafka and on the embedded log.
 */
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import type { DeadLetter } from '@streamloop/core/schemas/dead-letter';
import { eventually, metricValue } from '@streamloop/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBatchingPublisher } from '../src/batching-publisher.js';
import { createDeadLetterOutput } from '../src/dead-letter-output.js';
import { readDeadLetters } from '../src/dead-letter-reader.js';
import type { Batch, ConsumedMessage, EventMessage } from '../src/event-log.js';
import { createSupervisedConsumer, type SupervisedConsumer } from '../src/supervised-consumer.js';
import type { Fixture } from './contract.js';
import { idOf, makeMessage, makeSequence, sortedIds } from './helpers.js';

const silent = createLogger({ name: 'consumer-plumbing-test', level: 'silent' });
const FAST_BACKOFF = { initialDelayMs: 20, maxDelayMs: 100 };

/** Runs inside each adapter's contract suite, on its fixture (a fresh log per test). */
export function describeConsumerPlumbing(fixture: () => Fixture): void {
  describe('consumer plumbing', () => {
    let fx: Fixture;
    let registry: Registry;
    const consumers: SupervisedConsumer[] = [];

    beforeEach(() => {
      fx = fixture();
      registry = createMetricsRegistry({ collectProcessMetrics: false });
    });
    // Nested, so it runs before the suite's own afterEach: consumers stop before the log closes.
    afterEach(async () => {
      for (const consumer of consumers.splice(0)) await consumer.stop();
    });

    const metric = (name: string) => metricValue(registry, `streamloop_plumbing_test_consumer_${name}`);

    async function startConsumer(
      topic: string,
      handleBatch: Parameters<typeof createSupervisedConsumer>[0]['handleBatch'],
      watchdog = { checkIntervalMs: 100, stallAfterMs: 60_000 },
    ) {
      const groupId = fx.group();
      const consumer = createSupervisedConsumer({
        eventLog: fx.log,
        logger: silent,
        registry,
        name: { service: 'plumbing-test', noun: 'consumer' },
        groupId,
        topic,
        fromBeginning: true,
        backoff: FAST_BACKOFF,
        watchdog,
        handleBatch,
      });
      consumers.push(consumer);
      await consumer.start();
      return { consumer, groupId };
    }

    /** Everything on `topic`, read through a fresh group until `count` arrived. */
    async function readBack(topic: string, count: number): Promise<ConsumedMessage[]> {
      const read: ConsumedMessage[] = [];
      await fx.subscribe({
        groupId: fx.group(),
        topics: [topic],
        fromBeginning: true,
        async handleBatch(batch) {
          read.push(...batch.messages);
        },
      });
      return eventually(`${count} messages on ${topic}`, () => (read.length >= count ? read : undefined));
    }

    describe('supervised consumer', () => {
      it('rejoins after its handler crashed and handles the crashed batch again, once, losing nothing', async () => {
        const topic = await fx.topic(1);
        await fx.log.publish(topic, makeSequence(6, 1));
        const handled: string[] = [];
        let crashed = false;
        await startConsumer(topic, async (batch: Batch) => {
          if (!crashed) {
            crashed = true;
            throw new Error('a dependency failed');
          }
          handled.push(...batch.messages.map(idOf));
        });
        await eventually('every message handled and committed', async () =>
          handled.length >= 6 && (await metric('lag_messages')) === 0 ? true : undefined,
        );
        expect(handled).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5']);
        expect(await metric('restarts_total')).toBe(1);
        expect(await metric('stalls_total')).toBe(0);
      });

      it('abandons a batch stuck with lag and no sign of life, resubscribes, and the batch comes again', async () => {
        const topic = await fx.topic(1);
        await fx.log.publish(topic, makeSequence(3, 1));
        const handled: string[] = [];
        let stuck = true;
        await startConsumer(
          topic,
          async (batch, { signal }) => {
            if (stuck) {
              stuck = false;
              // A dependency that never answers: only the watchdog's abort ends the wait.
              await new Promise((_resolve, reject) =>
                signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
              );
            }
            handled.push(...batch.messages.map(idOf));
          },
          { checkIntervalMs: 100, stallAfterMs: 1_000 },
        );
        await eventually('the batch handled after the restart', () =>
          handled.length >= 3 ? true : undefined,
        );
        expect(sortedIds(makeSequence(3, 1))).toEqual([...handled].sort());
        expect(await metric('stalls_total')).toBe(1);
        expect(await metric('restarts_total')).toBe(1);
      });

      it('a handler that reports itself alive is not restarted while it works', async () => {
        const topic = await fx.topic(1);
        await fx.log.publish(topic, [makeMessage({ id: 'slow' })]);
        const handled: string[] = [];
        await startConsumer(
          topic,
          async (batch, { alive }) => {
            // Busy for longer than stallAfterMs, saying so: a retrying insert, a long encode.
            for (let i = 0; i < 8; i++) {
              alive();
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            handled.push(...batch.messages.map(idOf));
          },
          { checkIntervalMs: 50, stallAfterMs: 300 },
        );
        await eventually('the slow message handled', () => (handled.length >= 1 ? true : undefined));
        expect(handled).toEqual(['slow']);
        expect(await metric('stalls_total')).toBe(0);
      });

      it('stop() aborts the batch in flight, leaves it uncommitted for the next member, and ends', async () => {
        const topic = await fx.topic(1);
        await fx.log.publish(topic, [makeMessage({ id: 'in-flight' })]);
        let started!: () => void;
        const inFlight = new Promise<void>((resolve) => {
          started = resolve;
        });
        let handled = 0;
        const { consumer, groupId } = await startConsumer(topic, async (_batch, { signal }) => {
          started();
          await new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          );
          handled++;
        });
        await inFlight;
        await consumer.stop();
        expect(handled).toBe(0);
        // Nothing was committed: the group's next member gets it.
        expect(await fx.log.lag(groupId, topic)).toBe(1);
        await fx.log.publish(topic, [makeMessage({ id: 'after-stop' })]);
        expect(await fx.log.lag(groupId, topic)).toBe(2);
      });
    });

    describe('batching publisher', () => {
      const values = (messages: EventMessage[]) => messages.map(idOf);

      it('publishes in batches of at most maxBatch, in order, and flushes a lingering rest on close', async () => {
        const topic = await fx.topic(1);
        const calls: number[] = [];
        const output = createBatchingPublisher(
          { name: 'test', topic, maxBuffered: 100, maxBatch: 4, lingerMs: 3_600_000, retry: FAST_BACKOFF },
          {
            eventLog: {
              publish: (t, messages) => {
                calls.push(messages.length);
                return fx.log.publish(t, messages);
              },
            },
            logger: silent,
          },
        );
        const sent = makeSequence(10, 1);
        expect(output.offer(sent)).toBe(true);
        // An hour's linger: only full batches leave before close.
        // A batch counts in `size` until the log acknowledged it: wait for the second one's ack.
        await eventually('two full batches acknowledged', () =>
          calls.length === 2 && output.size === 2 ? true : undefined,
        );
        expect(calls).toEqual([4, 4]);
        expect(await output.close(10_000)).toBe(0);
        expect(calls).toEqual([4, 4, 2]);
        expect(values(await readBack(topic, 10))).toEqual(values(sent));
        expect(output.offer([makeMessage()])).toBe(false);
      });

      it('holds what it took while the log refuses, refuses beyond maxBuffered, and delivers once the log takes them', async () => {
        const topic = fx.topicName(); // not created yet: every publish fails
        const failures = { count: 0 };
        const output = createBatchingPublisher(
          { name: 'test', topic, maxBuffered: 5, maxBatch: 10, lingerMs: 0, retry: FAST_BACKOFF },
          { eventLog: fx.log, logger: silent, metrics: { publishFailures: { inc: () => failures.count++ } } },
        );
        const held = makeSequence(4, 1, 'held');
        expect(output.offer(held)).toBe(true);
        await eventually('a refused publish', () => (failures.count >= 2 ? true : undefined));
        // Taken whole or not at all: two more would make six.
        expect(output.offer(makeSequence(2, 1, 'refused'))).toBe(false);
        expect(output.size).toBe(4);
        const last = makeMessage({ id: 'fits', key: held[0]!.key });
        expect(output.offer([last])).toBe(true);

        await fx.log.ensureTopics([{ name: topic, partitions: 1 }]);
        await eventually('the buffer emptied', () => (output.size === 0 ? true : undefined));
        expect(values(await readBack(topic, 5))).toEqual([...values(held), 'fits']);
        expect(await output.close(1_000)).toBe(0);
      });

      it('reports what the log never took when closing times out', async () => {
        const output = createBatchingPublisher(
          {
            name: 'test',
            topic: fx.topicName(),
            maxBuffered: 10,
            maxBatch: 10,
            lingerMs: 0,
            retry: FAST_BACKOFF,
          },
          { eventLog: fx.log, logger: silent },
        );
        expect(output.offer(makeSequence(3, 1))).toBe(true);
        expect(await output.close(200)).toBe(3);
      });
    });

    describe('dead-letter output', () => {
      it('writes the original message with its reason, service and source, keyed like the original', async () => {
        const source = await fx.topic(1);
        const letters = await fx.topic(1);
        const binary = Buffer.from([0xff, 0x00, 0xfe]);
        await fx.log.publish(source, [
          { key: 'session-7', value: Buffer.from('{"beacon": ') },
          { key: 'session-8', value: binary },
        ]);
        const consumed = await readBack(source, 2);
        const output = createDeadLetterOutput({ eventLog: fx.log, service: 'analytics', topic: letters });
        await output.send(consumed[0]!, 'invalid_json', 'Unexpected end of JSON input');
        await output.send(consumed[1]!, 'invalid_json', 'not UTF-8');

        const written = await readBack(letters, 2);
        expect(written.map((m) => m.key)).toEqual(['session-7', 'session-8']);
        expect(written[0]?.headers).toMatchObject({
          'streamloop-reason': 'invalid_json',
          'streamloop-service': 'analytics',
        });
        const [text, bytes] = written.map((m) => JSON.parse(m.value.toString('utf8')) as DeadLetter);
        expect(text).toEqual({
          reason: 'invalid_json',
          detail: 'Unexpected end of JSON input',
          service: 'analytics',
          source: { topic: source, partition: 0, offset: consumed[0]!.offset, key: 'session-7' },
          value: '{"beacon": ',
          valueEncoding: 'utf8',
          deadAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
        expect(bytes).toMatchObject({ value: binary.toString('base64'), valueEncoding: 'base64' });
        // What an operator's reader sees: the same letters, parsed.
        const reader = await readDeadLetters(fx.log, { groupId: fx.group(), topic: letters });
        await eventually('the reader caught up', () => (reader.letters.length >= 2 ? true : undefined));
        expect(reader.letters).toEqual([text, bytes]);
        await reader.stop();
      });

      it('throws when the log refuses the letter, so the source message is not committed', async () => {
        const source = await fx.topic(1);
        await fx.log.publish(source, [makeMessage()]);
        const [message] = await readBack(source, 1);
        const output = createDeadLetterOutput({
          eventLog: fx.log,
          service: 'transcode',
          topic: fx.topicName(),
        });
        await expect(output.send(message!, 'gave_up', 'no topic')).rejects.toThrow(/does not exist/);
      });
    });
  });
}
