/** Synthetic heartbeats of many views, as the collector publishes them and as bare rows. */
import { randomUUID } from 'node:crypto';
import { createBeaconRowMapper } from '@streamloop/analytics/beacon-consumer';
import { compactBeaconRowStep } from '@streamloop/analytics/beacon-row-step';
import { type CompactBeaconRow, encodeBeaconRows } from '@streamloop/analytics/beacons-table';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { type BeaconContext, toBeaconBatchMessages } from '@streamloop/core/schemas/beacon-envelope';
import type { EventMessage } from '@streamloop/event-log/event-log';

const RECEIVED_AT_MS = Date.UTC(2026, 0, 1);
const BEACONS_PER_VIEW = 50;
/** Beacons per collector request (one view's, so one session's): one qoe.beacon-batch.v1 message each. */
export const BEACONS_PER_REQUEST = 10;
/** What the collector learns from a request (its User-Agent, edge country, address, clock). */
const CONTEXT: BeaconContext = {
  browser: 'Chrome',
  browserVersion: '131',
  os: 'Windows',
  deviceClass: 'desktop',
  country: 'DE',
  ipPrefix: '203.0.113.0',
  clockOffsetMs: -40,
};

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

/** The collector's messages for `count` beacons: one `qoe.beacon-batch.v1` per request (core's own encoder). */
export function beaconMessages(count: number): EventMessage[] {
  const messages: EventMessage[] = [];
  for (let i = 0; i < count; i += BEACONS_PER_REQUEST) {
    const beacons = Array.from({ length: Math.min(BEACONS_PER_REQUEST, count - i) }, (_, k) => beacon(i + k));
    messages.push(...toBeaconBatchMessages(beacons, RECEIVED_AT_MS, CONTEXT));
  }
  return messages;
}

/** The rows the consumer writes for the same beacons (compact: only present columns), built before timing starts. */
export function beaconRows(count: number): CompactBeaconRow[] {
  return Array.from({ length: count }, (_, i) => {
    const result = compactBeaconRowStep(
      { beacon: beacon(i), receivedAtMs: RECEIVED_AT_MS, context: CONTEXT },
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
 * every message to its rows and encode the insert's Native block, batches of 20,000 beacons; no
 * Kafka, no insert. `columnTypes`: beacons_v1's (read before timing).
 */
export function consumerJavaScriptPerBeacon(
  messages: EventMessage[],
  columnTypes: ReadonlyMap<string, string>,
): number {
  const toRows = createBeaconRowMapper();
  const consumed = messages.map((message, i) => ({
    topic: 'bench',
    partition: 0,
    offset: String(i),
    timestamp: RECEIVED_AT_MS,
    key: message.key,
    value: message.value,
  }));
  const perBatch = 20_000 / BEACONS_PER_REQUEST;
  let beacons = 0;
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < consumed.length; i += perBatch) {
    const rows: CompactBeaconRow[] = [];
    for (const message of consumed.slice(i, i + perBatch)) {
      for (const result of toRows(message)) if (result.kind === 'ok') rows.push(result.value);
    }
    beacons += rows.length;
    bytes += encodeBeaconRows(rows, columnTypes).bytes.length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (bytes === 0) throw new Error('no payload written');
  return beacons / seconds;
}
