/**
 * One media request, as the origin saw it through its CMCD data, as a `qoe.beacon.v1` beacon
 * (event `cmcd`, source `cmcd`). `sid` is the SDK's session id, so server-side and client-side
 * beacons of one session join on `sessionId`; a player without the SDK still gets a session.
 */
import { createHash } from 'node:crypto';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { CmcdKeys } from './cmcd-request.js';

/** Players without the SDK have no viewer id; CMCD carries none. */
export const CMCD_VIEWER_ID = 'cmcd';

export interface CmcdRequestFacts {
  videoId: string;
  /** Below the video, e.g. `720p/seg_00001.m4s`. */
  path: string;
  keys: CmcdKeys & { sid: string };
  /** The token was a simulated viewer's (playback `?synthetic=1`). */
  synthetic?: true;
  /** The token's experiment arm (`<experimentId>.<arm>`), so CMCD beacons count per arm like the SDK's. */
  variant?: string;
}

export interface CmcdBeaconClock {
  /** Per-process sequence number (CMCD has no view to number within). */
  seq: number;
  /** Server wall clock, ms since the epoch. */
  nowMs: number;
  /** Process uptime, ms: a monotonic clock for ordering within this process. */
  uptimeMs: number;
}

export function toCmcdBeacon(facts: CmcdRequestFacts, clock: CmcdBeaconClock): Beacon {
  return {
    schema: 'qoe.beacon.v1',
    beaconId: cmcdBeaconId(facts),
    event: 'cmcd',
    source: 'cmcd',
    sessionId: facts.keys.sid,
    viewId: facts.keys.sid,
    viewerId: CMCD_VIEWER_ID,
    videoId: facts.videoId,
    seq: clock.seq,
    clientTimeMs: clock.nowMs,
    monotonicMs: clock.uptimeMs,
    cmcd: { ...facts.keys, path: facts.path },
    ...(facts.synthetic === true ? { synthetic: true } : {}),
    ...(facts.variant === undefined ? {} : { variant: facts.variant }),
  };
}

/**
 * Derived from what the request said, not random: the edge's token check and the origin behind it
 * both see a cache miss, and a player or proxy retrying a request sends the same bytes again; each
 * such copy gets the same id and analytics counts it once. Method and Range are left out on
 * purpose: nginx asks the token check with GET and fetches a miss whole, so they differ between the
 * two copies. Two requests for one object with identical CMCD (same buffer, same throughput) are
 * therefore one beacon; CMCD gives no request id to tell them apart.
 */
export function cmcdBeaconId(facts: CmcdRequestFacts): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([facts.videoId, facts.path, facts.keys]))
    .digest('base64url');
  return `cmcd-${digest.slice(0, 32)}`;
}
