/**
 * What every producer of `qoe-beacons` writes (the collector for SDK beacons, delivery for CMCD
 * beacons), one message per beacon keyed by `sessionId`:
 *
 *   { "beacon": <qoe.beacon.v1, exactly as validated>, "receivedAtMs": <producer clock, integer ms> }
 *
 * The server time sits outside the beacon so the beacon stays the client's own record (and its
 * schema closed), while consumers always have a clock they can trust for late or skewed clients.
 */
import type { Beacon } from './beacon.js';

export interface BeaconEnvelope {
  beacon: Beacon;
  /** The producer's clock when the request arrived, ms since the epoch. */
  receivedAtMs: number;
}

/** The event-log message for one beacon (structurally an EventMessage). */
export function toBeaconMessage(beacon: Beacon, receivedAtMs: number): { key: string; value: Buffer } {
  const envelope: BeaconEnvelope = { beacon, receivedAtMs };
  return { key: beacon.sessionId, value: Buffer.from(JSON.stringify(envelope)) };
}
