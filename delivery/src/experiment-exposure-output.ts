/**
 * Exposures: every playback answer that assigned an experiment arm is one `experiment.exposure.v1`
 * on `experiment-exposures` (keyed by viewer, so one viewer's exposures keep their order). Sent
 * through a bounded output (bounded-output.ts) off the request path: a slow Kafka never slows or
 * fails a playback answer; an exposure that cannot be sent is counted on /metrics
 * (`streamloop_delivery_experiment_exposures_dropped_total`), never silently lost.
 */
import { ExperimentExposure } from '@streamloop/core/schemas/experiment-exposure';
import { EVENT_NAMES, TOPICS } from '@streamloop/core/topics';
import { createValidator, describeIssues } from '@streamloop/core/validate';
import {
  type BoundedOutput,
  type BoundedOutputDeps,
  type BoundedOutputOptions,
  createBoundedOutput,
} from './bounded-output.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import type { Assignment } from './experiment-assignment.js';

export interface ExposureOutputDeps
  extends BoundedOutputOptions,
    Pick<BoundedOutputDeps, 'eventLog' | 'logger'> {
  /** Defaults to `TOPICS.experimentExposures.name`; tests on a shared Kafka pass their own. */
  topic?: string;
  metrics: Pick<DeliveryMetrics, 'exposuresPublished' | 'exposuresDropped' | 'exposurePublishFailures'>;
}

export interface Exposure {
  assignment: Pick<Assignment, 'experimentId' | 'arm'>;
  viewerId: string;
  videoId: string;
  exposedAt: Date;
  synthetic: boolean;
}

export interface ExposureOutput {
  /** Queues the exposure; returns at once. */
  onExposure(exposure: Exposure): void;
  close(): Promise<void>;
  readonly size: number;
}

const validate = createValidator(ExperimentExposure);

export function createExposureOutput(deps: ExposureOutputDeps): ExposureOutput {
  const { metrics, topic = TOPICS.experimentExposures.name, ...rest } = deps;
  const output: BoundedOutput = createBoundedOutput({
    ...rest,
    topic,
    name: 'experiment-exposures',
    metrics: {
      published: metrics.exposuresPublished,
      dropped: metrics.exposuresDropped,
      publishFailures: metrics.exposurePublishFailures,
    },
  });
  return {
    onExposure(exposure) {
      const event: ExperimentExposure = {
        event: EVENT_NAMES.experimentExposure,
        experimentId: exposure.assignment.experimentId,
        arm: exposure.assignment.arm,
        viewerId: exposure.viewerId,
        videoId: exposure.videoId,
        exposedAt: exposure.exposedAt.toISOString(),
        synthetic: exposure.synthetic,
      };
      // The route parsed every field already; a failure here is a bug, which must not fail playback.
      const checked = validate(event);
      if (!checked.ok) {
        metrics.exposuresDropped.inc({ reason: 'invalid' });
        deps.logger.error({ issues: describeIssues(checked.issues) }, 'exposure does not match its schema');
        return;
      }
      output.add({ key: event.viewerId, value: Buffer.from(JSON.stringify(event)) });
    },
    close: () => output.close(),
    get size() {
      return output.size;
    },
  };
}
