import { createLogger } from '@streamloop/core/logger';
import { uniqueName } from '@streamloop/core/testing';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
const logger = createLogger({ name: 'k', level: 'warn' });
const log = await createKafkaEventLog({ brokers: process.env.KAFKA_BROKERS!.split(','), clientId: 'kjs' }, { logger });
const topic = uniqueName('kjs'); await log.ensureTopics([{ name: topic, partitions: 3 }]);
const value600 = Buffer.alloc(600, 'a'); const value6k = Buffer.alloc(6000, 'a');
const v35 = Buffer.alloc(3500, 'a'); const v35k = Buffer.alloc(35000, 'a');
for (const [label, per, value] of [['100x3.5KB', 100, v35], ['10x35KB', 10, v35k], ['100x3.5KB', 100, v35], ['10x35KB', 10, v35k]] as const) {
  const c0 = process.cpuUsage(); const t0 = Date.now();
  for (let i = 0; i < 100; i++) await log.publish(topic, Array.from({ length: per }, (_, j) => ({ key: `s-${i}-${j}`, value })));
  const c = process.cpuUsage(c0);
  console.log(label, 'wall ms', Date.now() - t0, 'cpu ms', (c.user + c.system) / 1000, 'per 100k beacons');
}
await log.close(); process.exit(0);
