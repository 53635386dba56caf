import { Counter, Gauge, Histogram, metricName, type Registry } from '@streamloop/core/metrics';

export interface BeaconMetrics {
  accepted: Counter;
  rejected: Counter;
  refused: Counter<'reason'>;
  buffered: Gauge;
  produced: Counter;
  produceFailures: Counter;
  requestDuration: Histogram;
  produceDuration: Histogram;
}

export function createBeaconMetrics(registry: Registry): BeaconMetrics {
  const name = (nounAndUnit: string) => metricName('beacon-collector', nounAndUnit);
  const registers = [registry];
  return {
    accepted: new Counter({
      name: name('beacons_accepted_total'),
      help: 'Beacons answered 202/207: taken into the buffer, produced to qoe-beacons from there',
      registers,
    }),
    rejected: new Counter({
      name: name('beacons_rejected_total'),
      help: 'Beacons refused by schema validation (listed in the 207/400 body)',
      registers,
    }),
    refused: new Counter({
      name: name('requests_refused_total'),
      help: 'Requests refused before their beacons were looked at, by reason (buffer_full → 503, rate_limited → 429)',
      labelNames: ['reason'],
      registers,
    }),
    buffered: new Gauge({
      name: name('beacons_buffered'),
      help: 'Beacons accepted but not yet produced (grows while Kafka is unavailable)',
      registers,
    }),
    produced: new Counter({
      name: name('beacons_produced_total'),
      help: 'Beacons the event log durably accepted (acks=all)',
      registers,
    }),
    produceFailures: new Counter({
      name: name('produce_failures_total'),
      help: 'Failed produce attempts; the same batch is retried until it is accepted',
      registers,
    }),
    requestDuration: new Histogram({
      name: name('request_duration_seconds'),
      help: 'Time to answer POST /v1/beacons',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    produceDuration: new Histogram({
      name: name('produce_duration_seconds'),
      help: 'Time of one successful produce call (one batch) to the event log',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
  };
}
