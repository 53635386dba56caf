import type { BeaconContext, UnvalidatedBeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { type DeadLetter, deadLetter, type Ok, ok } from '@streamloop/event-log/step-result';
import type { DropReason } from './beacon-reasons.js';

const CONTEXT_STRINGS = ['ipPrefix', 'browser', 'browserVersion', 'os', 'deviceClass', 'country'] as const;
/** Longer than any value a producer derives (a UA family, an ISO code, an IPv6 /48 prefix). */
const MAX_CONTEXT_STRING = 64;

// DateTime64(3) ends at 2299-12-31; a later "receivedAtMs" is a broken producer, not a beacon.
const MAX_RECEIVED_AT_MS = Date.UTC(2299, 11, 31);

/** JSON-parses a message value into `{ beacon, receivedAtMs }`; what is not one is poison (dead letter). */
export function parseEnvelopeStep(
  message: ConsumedMessage,
): Ok<UnvalidatedBeaconEnvelope> | DeadLetter<DropReason> {
  let value: unknown;
  try {
    value = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return deadLetter('invalid_json', (err as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return deadLetter('invalid_envelope', 'the message is not a JSON object');
  }
  const { beacon, receivedAtMs, context } = value as Record<string, unknown>;
  if (beacon === undefined) return deadLetter('invalid_envelope', 'no "beacon"');
  if (
    typeof receivedAtMs !== 'number' ||
    !Number.isInteger(receivedAtMs) ||
    receivedAtMs < 0 ||
    receivedAtMs > MAX_RECEIVED_AT_MS
  ) {
    return deadLetter('invalid_envelope', '"receivedAtMs" is not a millisecond timestamp');
  }
  if (context === undefined) return ok({ beacon, receivedAtMs });
  const parsed = parseContext(context);
  if (typeof parsed === 'string') return deadLetter('invalid_envelope', parsed);
  return ok({ beacon, receivedAtMs, context: parsed });
}

/**
 * The context comes from our own producers, but it becomes columns and dimensions: a wrong type
 * would fail the whole batch's insert, so it is checked here and the message dropped with a reason.
 */
function parseContext(raw: unknown): BeaconContext | string {
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
