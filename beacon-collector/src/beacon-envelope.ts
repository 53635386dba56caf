/**
 * What the collector produces to `qoe-beacons`, one message per beacon, keyed by `sessionId`:
 *
 *   { "beacon": <qoe.beacon.v1, exactly as validated>, "receivedAtMs": <collector clock, integer ms> }
 *
 * The server time sits outside the beacon so the beacon stays the client's own record (and its
 * schema closed), while consumers always have a clock they can trust for late or skewed clients.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { EventMessage } from '@streamloop/event-log/event-log';

export interface BeaconEnvelope {
  beacon: Beacon;
  /** The collector's clock when the request arrived, ms since the epoch. */
  receivedAtMs: number;
}

export function toBeaconMessage(beacon: Beacon, receivedAtMs: number): EventMessage {
  const envelope: BeaconEnvelope = { beacon, receivedAtMs };
  return { key: beacon.sessionId, value: Buffer.from(JSON.stringify(envelope)) };
}
