/** Synthetic heartbeats of many views, as the collector publishes them and as bare rows. */
import { randomUUID } from 'node:crypto';
import { beaconRowStep } from '@streamloop/analytics/beacon-row-step';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { EventMessage } from '@streamloop/event-log/event-log';

const RECEIVED_AT_MS = Date.UTC(2026, 0, 1);
const BEACONS_PER_VIEW = 50;

function beacon(i: number): Beacon {
  const view = Math.floor(i / BEACONS_PER_VIEW);
  return {
    schema: 'qoe.beacon.v1',
    beaconId: randomUUID(),
    event: 'heartbeat',
    sessionId: `bench-session-${view}`,
    viewId: `bench-view-${view}`,
    viewerId: `bench-viewer-${view % 500}`,
    videoId: `bench-video-${view % 20}`,
    seq: i % BEACONS_PER_VIEW,
    clientTimeMs: RECEIVED_AT_MS + i,
    monotonicMs: (i % BEACONS_PER_VIEW) * 10_000,
    watchTimeMs: 10_000,
    playTimeMs: 10_000,
    bitrateKbps: 3000,
  };
}

export function beaconMessages(count: number): EventMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const b = beacon(i);
    return {
      key: b.sessionId,
      value: Buffer.from(JSON.stringify({ beacon: b, receivedAtMs: RECEIVED_AT_MS })),
    };
  });
}

/** The rows the consumer would write for the same beacons, built before timing starts. */
export function beaconRows(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const result = beaconRowStep(
      { beacon: beacon(i), receivedAtMs: RECEIVED_AT_MS },
      {
        topic: 'bench',
        partition: 0,
        offset: String(i),
        timestamp: RECEIVED_AT_MS,
        key: '',
        value: Buffer.alloc(0),
      },
    );
    if (result.kind !== 'ok') throw new Error(result.detail);
    return result.value;
  });
}
