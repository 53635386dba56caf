/** Builders for beacons and the collector's messages, so tests state only what matters to them. */
import { randomUUID } from 'node:crypto';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { EventMessage } from '@streamloop/event-log/event-log';

let seq = 0;

export function makeBeacon(overrides: Partial<Beacon> = {}): Beacon {
  seq += 1;
  return {
    schema: 'qoe.beacon.v1',
    beaconId: randomUUID(),
    event: 'heartbeat',
    sessionId: 'session-1',
    viewId: 'view-1',
    viewerId: 'viewer-1',
    videoId: 'video-1',
    seq,
    clientTimeMs: 1_760_000_000_000 + seq,
    monotonicMs: seq * 10,
    ...overrides,
  };
}

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
  errors?: number;
}

/** The beacons of one view, in the order the SDK sends them. */
export function viewBeacons(view: ViewSpec): Beacon[] {
  const common = {
    videoId: view.videoId,
    viewId: view.viewId,
    viewerId: view.viewerId,
    sessionId: `session-${view.viewId}`,
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
      makeBeacon({ ...common, event: 'heartbeat', watchTimeMs: ms }),
    ),
    ...Array.from({ length: view.errors ?? 0 }, () =>
      makeBeacon({ ...common, event: 'error', errorCode: 'MEDIA_ERR_DECODE', fatal: false }),
    ),
    makeBeacon({ ...common, event: 'viewend' }),
  ];
}
