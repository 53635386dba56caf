/**
 * What producers of `qoe-beacons` write, keyed by `sessionId` (one session stays on one partition,
 * in order). Two shapes share the topic; `decodeBeaconMessage` reads both:
 *
 *   one beacon (delivery's CMCD beacons; the collector before issue 16):
 *   { "beacon": <qoe.beacon.v1, exactly as validated>, "receivedAtMs": <producer clock, integer ms>,
 *     "context": <what the server learned about the request, optional> }
 *
 *   a batch (the collector: one message per request and session — kafkajs costs per message and
 *   per byte, and the request's context is written once instead of once per beacon):
 *   { "schema": "qoe.beacon-batch.v1", "receivedAtMs": …, "context": …, "beacons": [<qoe.beacon.v1>, …] }
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

export const BEACON_BATCH_SCHEMA = 'qoe.beacon-batch.v1';

/** The beacons of one request and one session, with the request's receive time and context. */
export const BeaconBatchEnvelope = Type.Object({
  schema: Type.Literal(BEACON_BATCH_SCHEMA),
  receivedAtMs: Type.Integer({ minimum: 0 }),
  context: Type.Optional(BeaconContext),
  beacons: Type.Array(Beacon, { minItems: 1 }),
});
export type BeaconBatchEnvelope = Static<typeof BeaconBatchEnvelope>;

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

/**
 * The messages for a request's valid beacons: one `qoe.beacon-batch.v1` per session, keyed by it,
 * beacons in the order sent. `beaconsJson`, when given, is the JSON text of exactly `beacons` (the
 * request body they were parsed from, all of them valid): it is embedded as is instead of
 * serialising the beacons again, which is most of a collector's per-request cost.
 */
export function toBeaconBatchMessages(
  beacons: readonly Beacon[],
  receivedAtMs: number,
  context?: BeaconContext,
  beaconsJson?: string,
): { key: string; value: Buffer }[] {
  const sessions = new Map<string, Beacon[]>();
  for (const beacon of beacons) {
    const ofSession = sessions.get(beacon.sessionId);
    if (ofSession === undefined) sessions.set(beacon.sessionId, [beacon]);
    else ofSession.push(beacon);
  }
  const head = `{"schema":"${BEACON_BATCH_SCHEMA}","receivedAtMs":${JSON.stringify(receivedAtMs)}${
    context === undefined ? '' : `,"context":${JSON.stringify(context)}`
  },"beacons":`;
  const single = sessions.size === 1 && beaconsJson !== undefined;
  return [...sessions].map(([key, ofSession]) => ({
    key,
    value: Buffer.from(`${head}${single ? beaconsJson : JSON.stringify(ofSession)}}`),
  }));
}

export type BeaconMessageDecoding =
  | { ok: true; envelopes: UnvalidatedBeaconEnvelope[] }
  | { ok: false; reason: 'invalid_json' | 'invalid_envelope'; detail: string };

// DateTime64(3) ends at 2299-12-31; a later "receivedAtMs" is a broken producer, not a beacon.
const MAX_RECEIVED_AT_MS = Date.UTC(2299, 11, 31);
const CONTEXT_STRINGS = ['ipPrefix', 'browser', 'browserVersion', 'os', 'deviceClass', 'country'] as const;
const MAX_CONTEXT_STRING = ContextString.maxLength ?? 64;

/**
 * Any message of `qoe-beacons` — one beacon or a `qoe.beacon-batch.v1` — as the list of per-beacon
 * envelopes it carries, the beacons themselves NOT yet validated (each is checked on its own, so one
 * bad beacon does not cost its batch). The envelope around them is checked here: a message that is
 * not JSON or not an envelope is refused whole, with the reason.
 */
export function decodeBeaconMessage(value: Buffer | string): BeaconMessageDecoding {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', detail: (err as Error).message };
  }
  const invalid = (detail: string): BeaconMessageDecoding => ({
    ok: false,
    reason: 'invalid_envelope',
    detail,
  });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return invalid('the message is not a JSON object');
  }
  const { schema, beacon, beacons, receivedAtMs, context } = parsed as Record<string, unknown>;
  let list: unknown[];
  if (schema === BEACON_BATCH_SCHEMA) {
    if (!Array.isArray(beacons) || beacons.length === 0) return invalid('"beacons" is not a non-empty array');
    list = beacons;
  } else if (schema !== undefined) {
    return invalid(`unknown envelope schema ${JSON.stringify(schema).slice(0, 80)}`);
  } else {
    if (beacon === undefined) return invalid('no "beacon"');
    list = [beacon];
  }
  if (
    typeof receivedAtMs !== 'number' ||
    !Number.isInteger(receivedAtMs) ||
    receivedAtMs < 0 ||
    receivedAtMs > MAX_RECEIVED_AT_MS
  ) {
    return invalid('"receivedAtMs" is not a millisecond timestamp');
  }
  if (context === undefined) return { ok: true, envelopes: list.map((b) => ({ beacon: b, receivedAtMs })) };
  const checked = checkContext(context);
  if (typeof checked === 'string') return invalid(checked);
  return { ok: true, envelopes: list.map((b) => ({ beacon: b, receivedAtMs, context: checked })) };
}

/**
 * The context comes from our own producers, but it becomes columns and dimensions: a wrong type
 * would fail a whole insert, so it is checked (and copied field by field, nothing else kept).
 */
function checkContext(raw: unknown): BeaconContext | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return '"context" is not an object';
  const fields = raw as Record<string, unknown>;
  const context: Record<string, string | number> = {};
  for (const key of CONTEXT_STRINGS) {
    const field = fields[key];
    if (field === undefined) continue;
    if (typeof field !== 'string' || field.length > MAX_CONTEXT_STRING) {
      return `"context.${key}" is not a string of at most ${MAX_CONTEXT_STRING} characters`;
    }
    context[key] = field;
  }
  const { clockOffsetMs } = fields;
  if (clockOffsetMs !== undefined) {
    if (typeof clockOffsetMs !== 'number' || !Number.isSafeInteger(clockOffsetMs)) {
      return '"context.clockOffsetMs" is not an integer number of milliseconds';
    }
    context.clockOffsetMs = clockOffsetMs;
  }
  return context as BeaconContext;
}
