/**
 * A builder for the views the feature tests are made of: one call per view, with what the feature
 * sets read (heartbeats with rung and throughput, stalls, completion, player height, device class, a
 * failed start, the origin's CMCD `mtp` for the session, a simulated viewer's marking), stored as the
 * consumer stores beacons.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { createBeaconsTable } from '../src/beacons-table.js';
import { cmcdBeacon, rowsOf } from './make-beacon.js';

export interface FeatureHeartbeat {
  /** Watch time = play time of the interval. */
  ms: number;
  bitrateKbps?: number;
  height?: number;
  /** The SDK's throughput measurement of the interval. */
  throughputKbps?: number;
}

export interface FeatureView {
  viewId: string;
  viewerId: string;
  videoId: string;
  /** Every beacon of the view arrives this long before `nowMs`. */
  ageMs: number;
  heartbeats?: FeatureHeartbeat[];
  stallsMs?: number[];
  /** On the view's last beacon (viewend), as the SDK reports the furthest playhead. */
  completionPercent?: number;
  /** The player's height on every heartbeat. */
  playerHeight?: number;
  /** The collector's parsed User-Agent (envelope context), on every SDK beacon. */
  deviceClass?: string;
  /** A fatal error instead of a first frame. */
  failedStart?: boolean;
  /** CMCD beacons of the view's session, one `mtp` each. */
  cmcdMtpKbps?: number[];
  synthetic?: boolean;
  /** A redelivered batch: every beacon of the view stored twice (under another dedup token). */
  storedTwice?: boolean;
}

/** The SDK's beacons of the view, then the origin's CMCD beacons of its session. */
export function featureViewBeacons(view: FeatureView): { sdk: Beacon[]; cmcd: Beacon[] } {
  const sessionId = `session-${view.viewId}`;
  const common = {
    videoId: view.videoId,
    viewId: view.viewId,
    viewerId: view.viewerId,
    sessionId,
    ...(view.synthetic ? { synthetic: true } : {}),
  };
  const sdk = [
    makeBeacon({ ...common, event: 'viewstart', monotonicMs: 1 }),
    makeBeacon({ ...common, event: 'playrequest', monotonicMs: 2 }),
    view.failedStart
      ? makeBeacon({ ...common, event: 'error', errorCode: 'MEDIA_ERR_NETWORK', fatal: true, monotonicMs: 3 })
      : makeBeacon({ ...common, event: 'firstframe', startupTimeMs: 500, monotonicMs: 3 }),
    ...(view.stallsMs ?? []).flatMap((ms) => [
      makeBeacon({ ...common, event: 'rebufferstart', monotonicMs: 4 }),
      makeBeacon({ ...common, event: 'rebufferend', rebufferDurationMs: ms, monotonicMs: 5 }),
    ]),
    ...(view.heartbeats ?? []).map((beat) =>
      makeBeacon({
        ...common,
        event: 'heartbeat',
        monotonicMs: 6,
        watchTimeMs: beat.ms,
        playTimeMs: beat.ms,
        ...(beat.bitrateKbps === undefined ? {} : { bitrateKbps: beat.bitrateKbps }),
        ...(beat.height === undefined ? {} : { height: beat.height }),
        ...(beat.throughputKbps === undefined ? {} : { throughputKbps: beat.throughputKbps }),
        ...(view.playerHeight === undefined ? {} : { playerHeight: view.playerHeight }),
      }),
    ),
    makeBeacon({
      ...common,
      event: 'viewend',
      monotonicMs: 7,
      ...(view.completionPercent === undefined ? {} : { completionPercent: view.completionPercent }),
    }),
  ];
  const cmcd = (view.cmcdMtpKbps ?? []).map((mtp, i) =>
    cmcdBeacon(sessionId, view.videoId, {
      ...(view.synthetic ? { synthetic: true } : {}),
      cmcd: { sid: sessionId, mtp, ot: 'v', path: `720p/seg_${i}.m4s` },
    }),
  );
  return { sdk, cmcd };
}

/** Stores the views' beacons as the consumer does, each view in a batch of its own. */
export async function insertFeatureViews(
  store: AnalyticsStore,
  views: readonly FeatureView[],
  nowMs: number,
): Promise<void> {
  const table = createBeaconsTable(store);
  for (const view of views) {
    const { sdk, cmcd } = featureViewBeacons(view);
    const receivedAtMs = nowMs - view.ageMs;
    const rows = [
      ...rowsOf(sdk, receivedAtMs).map((row) =>
        view.deviceClass === undefined ? row : { ...row, device_class: view.deviceClass },
      ),
      ...rowsOf(cmcd, receivedAtMs),
    ];
    await table.insert(rows, uniqueName(view.viewId));
    if (view.storedTwice) await table.insert(rows, uniqueName(view.viewId));
  }
}
