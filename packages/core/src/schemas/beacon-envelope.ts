/**
 * What every producer of `qoe-beacons` writes (the collector for SDK beacons, delivery for CMCD
 * beacons), one message per beacon keyed by `sessionId`:
 *
 *   { "beacon": <qoe.beacon.v1, exactly as validated>, "receivedAtMs": <producer clock, integer ms>,
 *     "context": <what the server learned about the request, optional> }
 *
 * The server's view sits outside the beacon so the beacon stays the client's own record (and its
 * schema closed), while consumers always have a clock and dimensions they can trust for late,
 * skewed or lying clients.
 */
import type { Beacon } from './beacon.js';

/** 'desktop' | 'mobile' | 'tablet' | 'tv' | 'console' | 'bot' | 'other' */
export type DeviceClass = 'desktop' | 'mobile' | 'tablet' | 'tv' | 'console' | 'bot' | 'other';

/** Enrichment added by the server that received the beacon. Every field is optional: old producers omit it. */
export interface BeaconContext {
  /** Server receive time minus the client's clock for this batch (ms); corrects skewed clients. */
  clockOffsetMs?: number;
  /** The client address truncated before it is stored (IPv4 /24, IPv6 /48), e.g. '203.0.113.0'. */
  ipPrefix?: string;
  /** From the User-Agent header, parsed server-side. */
  browser?: string;
  browserVersion?: string;
  os?: string;
  deviceClass?: DeviceClass;
  /** ISO 3166-1 alpha-2, from a trusted edge header (e.g. CF-IPCountry); absent when unknown. */
  country?: string;
}

export interface BeaconEnvelope {
  beacon: Beacon;
  /** The producer's clock when the request arrived, ms since the epoch. */
  receivedAtMs: number;
  context?: BeaconContext;
}

/** The event-log message for one beacon (structurally an EventMessage). */
export function toBeaconMessage(
  beacon: Beacon,
  receivedAtMs: number,
  context?: BeaconContext,
): { key: string; value: Buffer } {
  const envelope: BeaconEnvelope =
    context === undefined ? { beacon, receivedAtMs } : { beacon, receivedAtMs, context };
  return { key: beacon.sessionId, value: Buffer.from(JSON.stringify(envelope)) };
}
