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

/**
 * Per-view labels copied onto every beacon: the experiment variant and ladder from the playback API,
 * and for a simulated viewer (the simulator, or a playback the API answered `synthetic: true`) the
 * synthetic mark with its audience cohort and network class, so analytics can keep it apart from people.
 */
export interface BeaconMetadata {
  variant?: string;
  ladderId?: string;
  /** Only ever `true`: a view once marked simulated is never unmarked by a later update. */
  synthetic?: true;
  cohort?: string;
  networkClass?: string;
}

const METADATA_KEYS = ['variant', 'ladderId', 'synthetic', 'cohort', 'networkClass'] as const;
const REAL_VIEWER_KEYS = ['variant', 'ladderId'] as const;

export type Emit = (event: BeaconEvent, fields?: BeaconFields) => void;

/** When a beacon's event happened: both clocks and the playhead, read as it happened. */
export interface BeaconStamp {
  now: number;
  monotonic: number;
  /** Media position in seconds, if known. */
  playhead: number | undefined;
}

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
  const stamp = (): BeaconStamp => ({
    now: options.clock.now(),
    monotonic: options.clock.monotonic(),
    playhead: options.playhead(),
  });

  return {
    viewId,
    setMetadata(update: BeaconMetadata): void {
      for (const key of METADATA_KEYS) {
        const value = update[key];
        // Untyped callers could pass `synthetic: false`; a simulated view stays marked.
        if (key === 'synthetic' && value !== true) continue;
        if (value !== undefined) (metadata as Record<string, unknown>)[key] = value;
      }
    },
    /** Reads the clocks and the playhead now, for a beacon made later (`make(…, at)`). */
    stamp,
    make(event: BeaconEvent, fields: BeaconFields = {}, at: BeaconStamp = stamp()): Beacon {
      const playhead = at.playhead;
      const beacon: Beacon = {
        schema: 'qoe.beacon.v1',
        beaconId: randomId(),
        event,
        sessionId: options.sessionId,
        viewId,
        viewerId: options.viewerId,
        videoId: options.videoId,
        seq: seq++,
        clientTimeMs: Math.round(at.now),
        monotonicMs: Math.max(0, at.monotonic),
        sdkVersion: SDK_VERSION,
      };
      const playheadMs = toMs(playhead === undefined ? undefined : playhead * 1000);
      if (playheadMs !== undefined) beacon.playheadMs = playheadMs;
      // cohort and networkClass describe simulated audiences: without the synthetic mark the
      // collector refuses the beacon (core's syntheticMarkingIssue), so they go out only with it.
      const keys = metadata.synthetic === true ? METADATA_KEYS : REAL_VIEWER_KEYS;
      for (const key of keys) {
        if (metadata[key] !== undefined) (beacon as Record<string, unknown>)[key] = metadata[key];
      }
      for (const [key, value] of Object.entries({ ...options.always?.(), ...fields })) {
        if (value !== undefined) (beacon as unknown as Record<string, unknown>)[key] = value;
      }
      return beacon;
    },
  };
}

export type BeaconFactory = ReturnType<typeof createBeaconFactory>;
