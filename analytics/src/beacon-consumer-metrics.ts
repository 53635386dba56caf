import { Counter, Gauge, Histogram, metricName, type Registry } from '@streamloop/core/metrics';
import { DROP_REASONS } from './step-result.js';

export interface BeaconConsumerMetrics {
  inserted: Counter;
  dropped: Counter<'reason'>;
  insertRetries: Counter;
  restarts: Counter;
  stalls: Counter;
  lag: Gauge;
  insertDuration: Histogram;
}

export function createBeaconConsumerMetrics(registry: Registry): BeaconConsumerMetrics {
  const dropped = new Counter({
    name: metricName('analytics', 'beacons_dropped_total'),
    help: `Beacon messages never inserted, by reason (${DROP_REASONS.join(', ')})`,
    labelNames: ['reason'],
    registers: [registry],
  });
  // Zero series for every reason, so a dashboard sees 0 rather than no data.
  for (const reason of DROP_REASONS) {
    dropped.inc({ reason }, 0);
  }
  return {
    inserted: new Counter({
      name: metricName('analytics', 'beacons_inserted_total'),
      help: 'Beacons written to beacons_v1 (a deduplicated retry counts again)',
      registers: [registry],
    }),
    dropped,
    insertRetries: new Counter({
      name: metricName('analytics', 'beacon_insert_retries_total'),
      help: 'Failed batch inserts that were retried',
      registers: [registry],
    }),
    restarts: new Counter({
      name: metricName('analytics', 'beacon_consumer_restarts_total'),
      help: 'Times the beacon subscription was replaced (it crashed, or the watchdog found it stalled)',
      registers: [registry],
    }),
    stalls: new Counter({
      name: metricName('analytics', 'beacon_consumer_stalls_total'),
      help: 'Times the watchdog found the consumer silent (no fetch) while it had lag, and restarted it',
      registers: [registry],
    }),
    lag: new Gauge({
      name: metricName('analytics', 'beacon_consumer_lag_messages'),
      help: 'Beacon messages in the log the consumer group has not committed yet (all partitions)',
      registers: [registry],
    }),
    insertDuration: new Histogram({
      name: metricName('analytics', 'beacon_insert_duration_seconds'),
      help: 'Time to insert one batch into ClickHouse (successful attempts)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
