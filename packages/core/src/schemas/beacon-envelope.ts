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
import { type Static, Type } from '@sinclair/typebox';
import { Beacon } from './beacon.js';

/** Longer than any value a producer derives (a UA family, an ISO code, an IPv6 /48 prefix). */
const ContextString = Type.String({ maxLength: 64 });

export const DeviceClass = Type.Union([
  Type.Literal('desktop'),
  Type.Literal('mobile'),
  Type.Literal('tablet'),
  Type.Literal('tv'),
  Type.Literal('console'),
  Type.Literal('bot'),
  Type.Literal('other'),
]);
export type DeviceClass = Static<typeof DeviceClass>;

/** Enrichment added by the server that received the beacon. Every field is optional: old producers omit it. */
export const BeaconContext = Type.Object({
  /** Server receive time minus the client's clock for this batch (ms); corrects skewed clients. */
  clockOffsetMs: Type.Optional(Type.Integer()),
  /** The client address truncated before it is stored (IPv4 /24, IPv6 /48), e.g. '203.0.113.0'. */
  ipPrefix: Type.Optional(ContextString),
  /** From the User-Agent header, parsed server-side. */
  browser: Type.Optional(ContextString),
  browserVersion: Type.Optional(ContextString),
  os: Type.Optional(ContextString),
  deviceClass: Type.Optional(DeviceClass),
  /** ISO 3166-1 alpha-2, from a trusted edge header (e.g. CF-IPCountry); absent when unknown. */
  country: Type.Optional(ContextString),
});
export type BeaconContext = Static<typeof BeaconContext>;

export const BeaconEnvelope = Type.Object({
  beacon: Beacon,
  /** The producer's clock when the request arrived, ms since the epoch. */
  receivedAtMs: Type.Integer({ minimum: 0 }),
  context: Type.Optional(BeaconContext),
});
export type BeaconEnvelope = Static<typeof BeaconEnvelope>;

/** An envelope as read off the topic, before its beacon is validated against qoe.beacon.v1. */
export type UnvalidatedBeaconEnvelope = Omit<BeaconEnvelope, 'beacon'> & { beacon: unknown };

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
