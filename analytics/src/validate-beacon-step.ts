import { createBeaconValidator } from '@streamloop/core/schemas/beacon';
import type { BeaconEnvelope, UnvalidatedBeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import { type DeadLetter, deadLetter, type Ok, ok } from '@streamloop/event-log/step-result';
import type { DropReason } from './beacon-reasons.js';

export type BeaconValidator = (
  envelope: UnvalidatedBeaconEnvelope,
) => Ok<BeaconEnvelope> | DeadLetter<DropReason>;

/**
 * Checks the beacon against the shared qoe.beacon.v1 schema and core's synthetic-marking rule
 * (compiled once per consumer), the same check as the collector's: a half-marked beacon that reached
 * the topic some other way is dead-lettered with its reason, never stored as a real viewer's.
 */
export function createValidateBeaconStep(): BeaconValidator {
  const validate = createBeaconValidator(3);
  return (envelope) => {
    const result = validate(envelope.beacon);
    if (!result.ok) {
      return deadLetter(
        'invalid_beacon',
        result.issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; '),
      );
    }
    const { receivedAtMs, context } = envelope;
    return ok(
      context === undefined
        ? { beacon: result.value, receivedAtMs }
        : { beacon: result.value, receivedAtMs, context },
    );
  };
}
