import { Counter, metricName, type Registry } from '@streamloop/core/metrics';

export interface BeaconMetrics {
  accepted: Counter;
  rejected: Counter;
  publishFailures: Counter;
}

export function createBeaconMetrics(registry: Registry): BeaconMetrics {
  const counter = (nounAndUnit: string, help: string) =>
    new Counter({ name: metricName('beacon-collector', nounAndUnit), help, registers: [registry] });
  return {
    accepted: counter(
      'beacons_accepted_total',
      'Beacons validated and durably produced to the qoe-beacons topic',
    ),
    rejected: counter('beacons_rejected_total', 'Beacons refused by schema validation'),
    publishFailures: counter(
      'beacons_publish_failures_total',
      'Valid beacons answered with 503 because the event log did not accept them (the client keeps and resends them)',
    ),
  };
}
