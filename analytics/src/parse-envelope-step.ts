import {
  decodeBeaconMessage,
  type UnvalidatedBeaconEnvelope,
} from '@streamloop/core/schemas/beacon-envelope';
import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { type DeadLetter, deadLetter, type Ok, ok } from '@streamloop/event-log/step-result';
import type { DropReason } from './beacon-reasons.js';

/**
 * A `qoe-beacons` message (one beacon, or a collector's `qoe.beacon-batch.v1`) as its per-beacon
 * envelopes (core's `decodeBeaconMessage`); what is not one is poison (dead letter), whole.
 */
export function parseEnvelopeStep(
  message: ConsumedMessage,
): Ok<UnvalidatedBeaconEnvelope[]> | DeadLetter<DropReason> {
  const decoded = decodeBeaconMessage(message.value);
  return decoded.ok ? ok(decoded.envelopes) : deadLetter(decoded.reason, decoded.detail);
}
