/** Synthetic heartbeats of many views, as the collector publishes them and as bare rows. */
import { randomUUID } from 'node:crypto';
import { createBeaconRowMapper } from '@streamloop/analytics/beacon-consumer';
import { compactBeaconRowStep } from '@streamloop/analytics/beacon-row-step';
import { type CompactBeaconRow, jsonEachRow } from '@streamloop/analytics/beacons-table';
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

/** The rows the consumer writes for the same beacons (compact: only present columns), built before timing starts. */
export function beaconRows(count: number): CompactBeaconRow[] {
  return Array.from({ length: count }, (_, i) => {
    const result = compactBeaconRowStep(
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

/**
 * Beacons/s of the consumer's JavaScript alone over `messages` (as consumed from partition 0): map
 * every message to its rows and write the insert payload, batches of 5000; no Kafka, no insert.
 */
export function consumerJavaScriptPerBeacon(messages: EventMessage[]): number {
  const toRows = createBeaconRowMapper();
  const consumed = messages.map((message, i) => ({
    topic: 'bench',
    partition: 0,
    offset: String(i),
    timestamp: RECEIVED_AT_MS,
    key: message.key,
    value: message.value,
  }));
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < consumed.length; i += 5000) {
    const rows: CompactBeaconRow[] = [];
    for (const message of consumed.slice(i, i + 5000)) {
      for (const result of toRows(message)) if (result.kind === 'ok') rows.push(result.value);
    }
    bytes += jsonEachRow(rows).length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (bytes === 0) throw new Error('no payload written');
  return messages.length / seconds;
}
