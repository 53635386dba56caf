/**
 * CMCD harvest: every media request the origin (or the edge's token check) lets through is read for
 * CMCD data, and one with a `sid` becomes a beacon on `qoe-beacons`, the topic the beacon collector
 * fills, so players without the SDK (Safari's native HLS, VLC) still produce QoE data. Only requests
 * that passed the token check count: the token is the credential, so nobody can write beacons for
 * videos they cannot watch. Never throws and never waits: the media is served either way.
 */
import type { Logger } from '@streamloop/core/logger';
import { Beacon } from '@streamloop/core/schemas/beacon';
import { toBeaconMessage } from '@streamloop/core/schemas/beacon-envelope';
import { createValidator } from '@streamloop/core/validate';
import { toCmcdBeacon } from './cmcd-beacon.js';
import type { CmcdBeaconOutput } from './cmcd-beacon-output.js';
import { type CmcdRequestInput, readCmcd } from './cmcd-request.js';
import type { CmcdOutcome, DeliveryMetrics } from './delivery-metrics.js';
import type { MediaRequest } from './media-path.js';

export interface CmcdHarvestDeps {
  /** Where beacons go; without it CMCD is still read and counted, but not emitted. */
  buffer?: Pick<CmcdBeaconOutput, 'add'>;
  metrics: Pick<DeliveryMetrics, 'cmcdRequests' | 'cmcdKeysRejected'>;
  logger: Logger;
  /** Server wall clock. */
  now: () => Date;
  /** Process uptime in ms (monotonic). */
  uptimeMs: () => number;
}

/** The object a request was let through for, whether its token is a simulated viewer's, and its arm. */
export type CmcdMedia = Pick<MediaRequest, 'videoId' | 'path'> & { synthetic?: true; variant?: string };

export interface CmcdHarvest {
  /** The request's outcome, or undefined when it carried no CMCD. */
  observe(request: CmcdRequestInput, media: CmcdMedia): CmcdOutcome | undefined;
}

// The schema caps seq at 2^31; a long-lived origin wraps around rather than stop emitting.
const SEQ_MODULUS = 2 ** 31;

export function createCmcdHarvest(deps: CmcdHarvestDeps): CmcdHarvest {
  const validate = createValidator(Beacon, 3);
  let seq = 0;

  const judge = (request: CmcdRequestInput, media: CmcdMedia): CmcdOutcome | undefined => {
    const reading = readCmcd(request);
    if (reading.kind === 'none') return undefined;
    if (reading.kind === 'malformed') {
      deps.logger.debug(
        { videoId: media.videoId, mode: reading.mode, reason: reading.reason },
        'malformed CMCD',
      );
      return 'malformed';
    }
    for (const key of reading.rejected) deps.metrics.cmcdKeysRejected.inc({ key });
    const { sid } = reading.keys;
    if (sid === undefined) return 'no_sid';
    if (deps.buffer === undefined) return 'not_emitted';

    const nowMs = deps.now().getTime();
    const beacon = toCmcdBeacon(
      {
        videoId: media.videoId,
        path: media.path,
        keys: { ...reading.keys, sid },
        ...(media.synthetic === true ? { synthetic: true as const } : {}),
        ...(media.variant === undefined ? {} : { variant: media.variant }),
      },
      { seq, nowMs, uptimeMs: deps.uptimeMs() },
    );
    const checked = validate(beacon);
    if (!checked.ok) {
      deps.logger.debug(
        { videoId: media.videoId, issues: checked.issues },
        'CMCD beacon does not pass the schema',
      );
      return 'invalid';
    }
    seq = (seq + 1) % SEQ_MODULUS;
    deps.buffer.add(toBeaconMessage(checked.value, nowMs));
    return 'emitted';
  };

  return {
    observe(request, media) {
      let outcome: CmcdOutcome | undefined;
      try {
        outcome = judge(request, media);
      } catch (err) {
        // Only a bug gets here; it must cost a beacon, never a segment.
        deps.logger.error({ err, videoId: media.videoId }, 'CMCD harvest failed');
        outcome = 'invalid';
      }
      if (outcome !== undefined) deps.metrics.cmcdRequests.inc({ outcome });
      return outcome;
    },
  };
}
