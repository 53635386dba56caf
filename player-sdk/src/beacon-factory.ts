/**
 * Builds `qoe.beacon.v1` beacons for one view: ids, a per-view sequence number from 0, both clocks
 * and the playhead. Controllers only say which event happened and with which measurements.
 */
import type { Beacon, BeaconEvent, BeaconRequiredField } from '@streamloop/core/schemas/beacon';
import type { Clock } from './clock.js';
import { randomId } from './ids.js';
import { SDK_VERSION } from './version.js';

/** Measurements a controller may attach; ids, sequence and clocks are filled in here. */
export type BeaconFields = Partial<Omit<Beacon, BeaconRequiredField | 'cmcd'>>;

/** Per-view labels copied onto every beacon (the experiment variant and ladder from the playback API). */
export interface BeaconMetadata {
  variant?: string;
  ladderId?: string;
}

export type Emit = (event: BeaconEvent, fields?: BeaconFields) => void;

export interface BeaconFactoryOptions {
  sessionId: string;
  viewerId: string;
  videoId: string;
  clock: Clock;
  /** Current media position in seconds, if known. */
  playhead: () => number | undefined;
  metadata?: BeaconMetadata;
  /** Fields every beacon carries while they apply (e.g. `droppedBeacons` once something was dropped). */
  always?: () => BeaconFields;
}

// The schema's ceiling for a duration (one week); anything beyond is a clock bug, not a measurement.
const MAX_MS = 7 * 24 * 3600 * 1000;

export function toMs(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value) || value < 0) return undefined;
  return Math.min(Math.round(value), MAX_MS);
}

export function createBeaconFactory(options: BeaconFactoryOptions) {
  const viewId = randomId();
  let seq = 0;
  const metadata: BeaconMetadata = { ...options.metadata };

  return {
    viewId,
    setMetadata(update: BeaconMetadata): void {
      for (const [key, value] of Object.entries(update)) {
        if (value !== undefined) metadata[key as keyof BeaconMetadata] = value;
      }
    },
    make(event: BeaconEvent, fields: BeaconFields = {}): Beacon {
      const playhead = options.playhead();
      const beacon: Beacon = {
        schema: 'qoe.beacon.v1',
        beaconId: randomId(),
        event,
        sessionId: options.sessionId,
        viewId,
        viewerId: options.viewerId,
        videoId: options.videoId,
        seq: seq++,
        clientTimeMs: Math.round(options.clock.now()),
        monotonicMs: Math.max(0, options.clock.monotonic()),
        sdkVersion: SDK_VERSION,
      };
      const playheadMs = toMs(playhead === undefined ? undefined : playhead * 1000);
      if (playheadMs !== undefined) beacon.playheadMs = playheadMs;
      if (metadata.variant !== undefined) beacon.variant = metadata.variant;
      if (metadata.ladderId !== undefined) beacon.ladderId = metadata.ladderId;
      for (const [key, value] of Object.entries({ ...options.always?.(), ...fields })) {
        if (value !== undefined) (beacon as unknown as Record<string, unknown>)[key] = value;
      }
      return beacon;
    },
  };
}

export type BeaconFactory = ReturnType<typeof createBeaconFactory>;
