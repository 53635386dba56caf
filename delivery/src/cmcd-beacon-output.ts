/**
 * Beacons the origin makes on the request path, sent to the event log off it (a bounded output
 * named `cmcd-beacons`, bounded-output.ts): a slow or absent Kafka can never slow a segment.
 */
import type { DeliveryMetrics } from './delivery-metrics.js';
import {
  type BoundedOutput,
  type BoundedOutputDeps,
  type BoundedOutputOptions,
  createBoundedOutput,
} from './bounded-output.js';

export type CmcdBeaconOutputOptions = BoundedOutputOptions;
export type CmcdBeaconOutput = BoundedOutput;

export interface CmcdBeaconOutputDeps
  extends CmcdBeaconOutputOptions,
    Pick<BoundedOutputDeps, 'eventLog' | 'topic' | 'logger'> {
  metrics: Pick<DeliveryMetrics, 'cmcdBeaconsPublished' | 'cmcdBeaconsDropped' | 'cmcdPublishFailures'>;
}

export function createCmcdBeaconOutput(deps: CmcdBeaconOutputDeps): CmcdBeaconOutput {
  const { metrics, ...rest } = deps;
  return createBoundedOutput({
    ...rest,
    name: 'cmcd-beacons',
    metrics: {
      published: metrics.cmcdBeaconsPublished,
      dropped: metrics.cmcdBeaconsDropped,
      publishFailures: metrics.cmcdPublishFailures,
    },
  });
}
