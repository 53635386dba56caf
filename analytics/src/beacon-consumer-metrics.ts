import { Counter, Histogram, metricName, type Registry } from '@streamloop/core/metrics';
import { DROP_REASONS } from './beacon-reasons.js';

export interface BeaconConsumerMetrics {
  inserted: Counter;
  dropped: Counter<'reason'>;
  insertRetries: Counter;
  insertDuration: Histogram;
}

export function createBeaconConsumerMetrics(registry: Registry): BeaconConsumerMetrics {
  const dropped = new Counter({
    name: metricName('analytics', 'beacons_dropped_total'),
    help: `Beacon messages never inserted, by reason (${DROP_REASONS.join(', ')}); all but value_out_of_range are also on the dead-letter topic`,
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
    insertDuration: new Histogram({
      name: metricName('analytics', 'beacon_insert_duration_seconds'),
      help: 'Time to insert one batch into ClickHouse (successful attempts)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
