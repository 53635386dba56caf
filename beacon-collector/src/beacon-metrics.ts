import { Counter, Gauge, Histogram, metricName, type Registry } from '@streamloop/core/metrics';

export interface BeaconMetrics {
  accepted: Counter;
  rejected: Counter;
  refused: Counter<'reason'>;
  buffered: Gauge;
  produced: Counter;
  spooled: Counter;
  spoolBytes: Gauge;
  spoolSkipped: Counter<'reason'>;
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
      help: 'Beacons answered 202/207: acknowledged by the event log, or fsynced to the spool while it was unavailable',
      registers,
    }),
    rejected: new Counter({
      name: name('beacons_rejected_total'),
      help: 'Beacons refused by schema validation (listed in the 207/400 body)',
      registers,
    }),
    refused: new Counter({
      name: name('requests_refused_total'),
      help: 'Requests refused, nothing of them kept, by reason (spool_full, unavailable → 503; rate_limited → 429)',
      labelNames: ['reason'],
      registers,
    }),
    buffered: new Gauge({
      name: name('beacons_buffered'),
      help: 'Beacons in memory waiting for the event log to acknowledge them',
      registers,
    }),
    spooled: new Counter({
      name: name('beacons_spooled_total'),
      help: 'Beacons fsynced to the local spool while the event log was unavailable (produced from there later)',
      registers,
    }),
    spoolBytes: new Gauge({
      name: name('spool_bytes'),
      help: 'Bytes the spool holds on disk (bounded; full means 503)',
      registers,
    }),
    spoolSkipped: new Counter({
      name: name('spool_records_skipped_total'),
      help: 'Spool records that could not be read back, by reason (crc_mismatch, torn_tail, undecodable)',
      labelNames: ['reason'],
      registers,
    }),
    produced: new Counter({
      name: name('beacons_produced_total'),
      help: 'Beacons the event log durably accepted (acks=all), directly or drained from the spool',
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
