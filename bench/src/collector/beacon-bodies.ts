/** Request bodies like the SDK's: JSON arrays of `qoe.beacon.v1` heartbeats, distinct ids and sessions. */
import { makeBeacon } from '@streamloop/core/testing';

export function makeBeaconBodies(count: number, beaconsPerBody: number): string[] {
  const run = Date.now().toString(36);
  return Array.from({ length: count }, (_, body) => {
    const beacons = Array.from({ length: beaconsPerBody }, (_, seq) =>
      makeBeacon({
        beaconId: `bench-${run}-${body}-${seq}`,
        sessionId: `bench-session-${body}`,
        viewId: `bench-view-${body}`,
        viewerId: `bench-viewer-${body % 50}`,
        videoId: 'bench-video',
        seq,
        clientTimeMs: Date.now(),
        monotonicMs: seq * 10_000,
        playheadMs: seq * 10_000,
        watchTimeMs: seq * 10_000,
        bitrateKbps: 4500,
        width: 1920,
        height: 1080,
      }),
    );
    return JSON.stringify(beacons);
  });
}
