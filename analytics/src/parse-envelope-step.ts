import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { type Drop, type DropReason, drop, type Ok, ok } from './step-result.js';

/** What the beacon collector produces to the qoe-beacons topic, before the beacon is validated. */
export interface BeaconEnvelope {
  beacon: unknown;
  /** The collector's clock when the beacon arrived, ms since the epoch. */
  receivedAtMs: number;
}

// DateTime64(3) ends at 2299-12-31; a later "receivedAtMs" is a broken producer, not a beacon.
const MAX_RECEIVED_AT_MS = Date.UTC(2299, 11, 31);

/** JSON-parses a message value into `{ beacon, receivedAtMs }`. */
export function parseEnvelopeStep(message: ConsumedMessage): Ok<BeaconEnvelope> | Drop<DropReason> {
  let value: unknown;
  try {
    value = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return drop('invalid_json', (err as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return drop('invalid_envelope', 'the message is not a JSON object');
  }
  const { beacon, receivedAtMs } = value as Record<string, unknown>;
  if (beacon === undefined) return drop('invalid_envelope', 'no "beacon"');
  if (
    typeof receivedAtMs !== 'number' ||
    !Number.isInteger(receivedAtMs) ||
    receivedAtMs < 0 ||
    receivedAtMs > MAX_RECEIVED_AT_MS
  ) {
    return drop('invalid_envelope', '"receivedAtMs" is not a millisecond timestamp');
  }
  return ok({ beacon, receivedAtMs });
}
