import { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconEnvelope, UnvalidatedBeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import { createValidator } from '@streamloop/core/validate';
import { type Drop, type DropReason, drop, type Ok, ok } from './step-result.js';

export type BeaconValidator = (envelope: UnvalidatedBeaconEnvelope) => Ok<BeaconEnvelope> | Drop<DropReason>;

/** Checks the beacon against the shared qoe.beacon.v1 schema (compiled once per consumer). */
export function createValidateBeaconStep(): BeaconValidator {
  const validate = createValidator(Beacon, 3);
  return (envelope) => {
    const result = validate(envelope.beacon);
    if (!result.ok) {
      return drop('invalid_beacon', result.issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; '));
    }
    const { receivedAtMs, context } = envelope;
    return ok(
      context === undefined
        ? { beacon: result.value, receivedAtMs }
        : { beacon: result.value, receivedAtMs, context },
    );
  };
}
