import { Counter, metricName, type Registry } from '@streamloop/core/metrics';
import { OUTPUT_DROP_REASONS, type OutputDropReason } from './bounded-output.js';

/** What happened to a media request's CMCD data (requests without CMCD are not counted). */
export type CmcdOutcome =
  /** Became a beacon, queued for the event log. */
  | 'emitted'
  /** Decoded, but delivery has no event log to send it to. */
  | 'not_emitted'
  /** Decoded, but without a usable `sid`: nothing to join it to. */
  | 'no_sid'
  /** Not decodable as CMCD (not an RFC 8941 dictionary, or too large); the media is served anyway. */
  | 'malformed'
  /** Decoded, but the beacon it made does not pass the core schema (e.g. a sid with spaces). */
  | 'invalid';
export const CMCD_OUTCOMES: readonly CmcdOutcome[] = [
  'emitted',
  'not_emitted',
  'no_sid',
  'malformed',
  'invalid',
];

/** What a playback answer to a named viewer carried of the start-rung hint (start-hint.ts). */
export type StartHintOutcome =
  /** The hint, in `startBitrateKbps`. */
  | 'answered'
  /** No hint for this viewer: no viewer set published, an unknown viewer, or too few throughput measurements. */
  | 'none'
  /** The feature store failed, timed out, or is being left alone after failing: answered without. */
  | 'unavailable';
export const START_HINT_OUTCOMES: readonly StartHintOutcome[] = ['answered', 'none', 'unavailable'];

/** Why a CMCD beacon never reached the event log. */
export type CmcdDropReason = OutputDropReason;
export const CMCD_DROP_REASONS = OUTPUT_DROP_REASONS;

export interface DeliveryMetrics {
  /** Labels: route (the route pattern), status (HTTP status code). */
  requests: Counter<'route' | 'status'>;
  /** Body bytes written for media responses (playlists and segments), counted as they stream. */
  bytesSent: Counter;
  /** Media requests that carried CMCD, by outcome. */
  cmcdRequests: Counter<'outcome'>;
  /** CMCD keys dropped because their value did not fit the beacon schema, by key. */
  cmcdKeysRejected: Counter<'key'>;
  cmcdBeaconsPublished: Counter;
  /** Never silent: every CMCD beacon that was made but not published, by reason. */
  cmcdBeaconsDropped: Counter<'reason'>;
  /** Publish calls that failed or timed out (their beacons stay buffered and are sent again). */
  cmcdPublishFailures: Counter;
  /** Playback answers that assigned an experiment arm, published to `experiment-exposures`. */
  exposuresPublished: Counter;
  /** Never silent: every exposure made but not published, by reason (buffer_full, shutdown, invalid). */
  exposuresDropped: Counter<'reason'>;
  exposurePublishFailures: Counter;
  /** Playback answers that looked up a viewer's start-rung hint, by outcome. */
  startHints: Counter<'outcome'>;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const metrics: DeliveryMetrics = {
    requests: counter(registry, 'requests_total', 'Delivery HTTP requests by route and status', [
      'route',
      'status',
    ]),
    bytesSent: counter(registry, 'bytes_sent_total', 'Media body bytes sent by the origin', []),
    cmcdRequests: counter(
      registry,
      'cmcd_requests_total',
      'Media requests carrying CMCD (CTA-5004) data, by outcome',
      ['outcome'],
    ),
    cmcdKeysRejected: counter(
      registry,
      'cmcd_keys_rejected_total',
      'CMCD keys dropped from beacons because their value was out of type or range, by key',
      ['key'],
    ),
    cmcdBeaconsPublished: counter(registry, 'cmcd_beacons_published_total', 'CMCD beacons published', []),
    cmcdBeaconsDropped: counter(
      registry,
      'cmcd_beacons_dropped_total',
      'CMCD beacons made but never published, by reason',
      ['reason'],
    ),
    cmcdPublishFailures: counter(
      registry,
      'cmcd_publish_failures_total',
      'Failed or timed-out publishes of CMCD beacon batches (retried)',
      [],
    ),
    exposuresPublished: counter(
      registry,
      'experiment_exposures_published_total',
      'Experiment exposures (an arm assigned by the playback API) published',
      [],
    ),
    exposuresDropped: counter(
      registry,
      'experiment_exposures_dropped_total',
      'Experiment exposures made but never published, by reason',
      ['reason'],
    ),
    exposurePublishFailures: counter(
      registry,
      'experiment_exposure_publish_failures_total',
      'Failed or timed-out publishes of experiment exposure batches (retried)',
      [],
    ),
    startHints: counter(
      registry,
      'start_hints_total',
      "Playback answers that looked up the viewer's start-rung hint, by outcome (answered, none, unavailable)",
      ['outcome'],
    ),
  };
  // Every series exists from the start, so a dashboard shows 0 rather than nothing.
  for (const outcome of CMCD_OUTCOMES) metrics.cmcdRequests.inc({ outcome }, 0);
  for (const reason of CMCD_DROP_REASONS) metrics.cmcdBeaconsDropped.inc({ reason }, 0);
  for (const reason of [...OUTPUT_DROP_REASONS, 'invalid']) metrics.exposuresDropped.inc({ reason }, 0);
  for (const outcome of START_HINT_OUTCOMES) metrics.startHints.inc({ outcome }, 0);
  return metrics;
}

function counter<L extends string>(
  registry: Registry,
  nounAndUnit: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const name = metricName('delivery', nounAndUnit);
  // The stack and a test may mount the routes twice on one registry; reuse what is there.
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}
