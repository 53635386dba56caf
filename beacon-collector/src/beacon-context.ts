/**
 * What the server knows about a beacon batch that the client cannot be trusted to say: when it
 * arrived, how far the client's clock is off, where from (network prefix only), which browser, and
 * the country when an edge we trust tells us.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconContext } from '@streamloop/core/schemas/beacon-envelope';
import { truncateIp } from './ip-prefix.js';
import type { UserAgentContext } from './user-agent.js';

export interface RequestFacts {
  /** The client address as fastify resolved it (`request.ip`: the socket, or X-Forwarded-For from a trusted proxy). */
  ip: string | undefined;
  userAgent: string | undefined;
  /** The trusted country header's value, if the operator configured one. */
  country: string | undefined;
}

/**
 * Receive time minus the newest client timestamp in the batch. The newest beacon was made just
 * before the batch left the page, so for a right clock this is the queueing plus network delay (a
 * few ms to seconds; more for a batch that waited out a retry), and anything far beyond that is the
 * client's clock skew, which consumers subtract from the client timestamps.
 */
export function clockOffsetMs(beacons: readonly Beacon[], receivedAtMs: number): number | undefined {
  let newest = Number.NEGATIVE_INFINITY;
  for (const beacon of beacons) newest = Math.max(newest, beacon.clientTimeMs);
  return Number.isFinite(newest) ? Math.round(receivedAtMs - newest) : undefined;
}

const COUNTRY = /^[A-Z]{2}$/;

export function buildBeaconContext(
  beacons: readonly Beacon[],
  receivedAtMs: number,
  facts: RequestFacts,
  parseUserAgent: (header: string | undefined) => UserAgentContext,
): BeaconContext {
  const context: BeaconContext = { ...parseUserAgent(facts.userAgent) };
  const offset = clockOffsetMs(beacons, receivedAtMs);
  if (offset !== undefined) context.clockOffsetMs = offset;
  const ipPrefix = truncateIp(facts.ip);
  if (ipPrefix !== undefined) context.ipPrefix = ipPrefix;
  // Edges send 'XX' / 'T1' for unknown / Tor: only a real ISO 3166-1 alpha-2 code is kept.
  const country = facts.country?.trim().toUpperCase();
  if (country !== undefined && COUNTRY.test(country) && country !== 'XX') context.country = country;
  return context;
}
