import { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconEnvelope, UnvalidatedBeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import { createValidator } from '@streamloop/core/validate';
import { type DeadLetter, deadLetter, type Ok, ok } from '@streamloop/event-log/step-result';
import type { DropReason } from './beacon-reasons.js';

export type BeaconValidator = (
  envelope: UnvalidatedBeaconEnvelope,
) => Ok<BeaconEnvelope> | DeadLetter<DropReason>;

/** Checks the beacon against the shared qoe.beacon.v1 schema (compiled once per consumer). */
export function createValidateBeaconStep(): BeaconValidator {
  const validate = createValidator(Beacon, 3);
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
