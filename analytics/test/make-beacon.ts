/** Builders for views, every-field beacons and the collector's messages (one beacon: core's `makeBeacon`). */
import { randomUUID } from 'node:crypto';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { makeBeacon } from '@streamloop/core/testing';
import type { EventMessage } from '@streamloop/event-log/event-log';
import { compactBeaconRowStep } from '../src/beacon-row-step.js';
import type { CompactBeaconRow } from '../src/beacons-table.js';

/** What the beacon collector produces: `{ beacon, receivedAtMs }` keyed by session id. */
export function collectorMessage(beacon: unknown, receivedAtMs: number): EventMessage {
  const key = (beacon as { sessionId?: unknown }).sessionId;
  return {
    key: typeof key === 'string' ? key : 'no-session',
    value: Buffer.from(JSON.stringify({ beacon, receivedAtMs })),
  };
}

export interface ViewSpec {
  videoId: string;
  viewId: string;
  viewerId: string;
  startupTimeMs: number;
  rebuffersMs?: number[];
  /** One heartbeat per entry, each carrying that much watch time. */
  heartbeatsWatchMs?: number[];
  /** The rung every heartbeat reports (none when absent). */
  bitrateKbps?: number;
  errors?: number;
  /** A simulated viewer's marking, copied onto every beacon as the SDK does. */
  marking?: Pick<Beacon, 'synthetic' | 'cohort' | 'networkClass'>;
}

/** The beacons of one view, in the order the SDK sends them. */
export function viewBeacons(view: ViewSpec): Beacon[] {
  const common = {
    videoId: view.videoId,
    viewId: view.viewId,
    viewerId: view.viewerId,
    sessionId: `session-${view.viewId}`,
    ...view.marking,
  };
  return [
    makeBeacon({ ...common, event: 'viewstart' }),
    makeBeacon({ ...common, event: 'playrequest' }),
    makeBeacon({ ...common, event: 'firstframe', startupTimeMs: view.startupTimeMs }),
    ...(view.rebuffersMs ?? []).flatMap((ms) => [
      makeBeacon({ ...common, event: 'rebufferstart' }),
      makeBeacon({ ...common, event: 'rebufferend', rebufferDurationMs: ms }),
    ]),
    ...(view.heartbeatsWatchMs ?? []).map((ms) =>
      makeBeacon({
        ...common,
        event: 'heartbeat',
        watchTimeMs: ms,
        playTimeMs: ms,
        ...(view.bitrateKbps === undefined ? {} : { bitrateKbps: view.bitrateKbps }),
      }),
    ),
    ...Array.from({ length: view.errors ?? 0 }, () =>
      makeBeacon({ ...common, event: 'error', errorCode: 'MEDIA_ERR_DECODE', fatal: false }),
    ),
    makeBeacon({ ...common, event: 'viewend' }),
  ];
}

/**
 * A beacon with EVERY field of the schema set (the `Required` type makes a new core field a compile
 * error here until the golden round trip covers it), with values that are easy to get wrong on the
 * way through ClickHouse: fractions, a 64-bit-sized count, `false`, non-ASCII text.
 */
export function everyFieldBeacon(overrides: Partial<Beacon> = {}): Required<Beacon> {
  return {
    schema: 'qoe.beacon.v1',
    beaconId: randomUUID(),
    event: 'heartbeat',
    source: 'sdk',
    sessionId: 'session-every-field',
    viewId: 'view-every-field',
    viewerId: 'viewer-every-field',
    videoId: 'video-every-field',
    seq: 2 ** 31,
    clientTimeMs: 1_760_000_123_456,
    monotonicMs: 12_345.678,
    playheadMs: 61_000,
    startupTimeMs: 412,
    rebufferDurationMs: 1_250,
    watchTimeMs: 9_875,
    bitrateKbps: 3_200,
    width: 1280,
    height: 720,
    errorCode: 'MEDIA_ERR_NETWORK',
    errorMessage: 'segment 12 failed — réseau indisponible',
    fatal: false,
    variant: 'ladder-b',
    ladderId: 'per-title-v2',
    sdkVersion: '0.5.0',
    synthetic: true,
    cohort: 'commuters.3g',
    networkClass: '3g-hsdpa',
    recommendedVideoId: 'video-recommended',
    recommendationReason: 'co-watch',
    recommendationPosition: 7,
    playerName: 'video.js',
    playerVersion: '8.24.0',
    pageOrigin: 'https://example.org',
    viewportWidth: 1440,
    viewportHeight: 900,
    devicePixelRatio: 2.625,
    mediaDurationMs: 7_200_000,
    seekDurationMs: 320,
    seekFromMs: 30_000,
    fromBitrateKbps: 1_600,
    fromWidth: 960,
    fromHeight: 540,
    switchReason: 'bandwidth',
    playTimeMs: 9_000,
    pauseTimeMs: 1_000,
    playerWidth: 1024,
    playerHeight: 576,
    upscaleTimeMs: 0,
    downscaleTimeMs: 9_000,
    droppedFrames: 3,
    decodedFrames: 270,
    requestCount: 7,
    requestFailures: 1,
    bytesDownloaded: 2 ** 40 + 7,
    throughputKbps: 48_123,
    ttfbMs: 37,
    completionPercent: 33.3,
    droppedBeacons: 2,
    cmcd: everyCmcdKey(),
    ...overrides,
  };
}

export function everyCmcdKey(
  overrides: Partial<NonNullable<Beacon['cmcd']>> = {},
): Required<NonNullable<Beacon['cmcd']>> {
  return {
    br: 3_200,
    bl: 21_300,
    d: 4_004,
    ot: 'v',
    sid: 'session-every-field',
    cid: 'clip-42',
    mtp: 25_400,
    su: false,
    bs: true,
    tb: 6_000,
    pr: 1.25,
    sf: 'h',
    st: 'v',
    rtp: 15_000,
    path: '720p/seg_00001.m4s',
    ...overrides,
  };
}

/** A beacon as delivery's origin makes one from a media request's CMCD. */
export function cmcdBeacon(sessionId: string, videoId: string, overrides: Partial<Beacon> = {}): Beacon {
  return makeBeacon({
    event: 'cmcd',
    source: 'cmcd',
    sessionId,
    viewId: sessionId,
    viewerId: 'cmcd',
    videoId,
    cmcd: { sid: sessionId, br: 3200, bl: 12_000, ot: 'v', mtp: 25_400, path: '720p/seg_00001.m4s' },
    ...overrides,
  });
}

/**
 * Rows as the consumer writes them (its own compact row step: the columns a beacon has values for),
 * all received at `receivedAtMs`. Compact, so a store migrated only part way, without the columns of
 * later fields, takes them as it took the consumer's rows of its day.
 */
export function rowsOf(beacons: Beacon[], receivedAtMs: number): CompactBeaconRow[] {
  return beacons.map((beacon, i) => {
    const result = compactBeaconRowStep(
      { beacon, receivedAtMs },
      {
        topic: 'qoe-beacons',
        partition: 0,
        offset: String(i),
        timestamp: receivedAtMs,
        key: beacon.sessionId,
        value: Buffer.alloc(0),
      },
    );
    if (result.kind !== 'ok') throw new Error(result.detail);
    return result.value;
  });
}
