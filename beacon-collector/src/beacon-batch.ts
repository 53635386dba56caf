/**
 * Turns a request body into the beacons to keep and the ones to refuse, each refusal with its index
 * and the schema's reasons. Pure: the route decides what the outcome means for the response.
 */
import { AppError } from '@streamloop/core/errors';
import { Beacon } from '@streamloop/core/schemas/beacon';
import { createValidator, type ValidationIssue } from '@streamloop/core/validate';

export interface RejectedBeacon {
  index: number;
  issues: ValidationIssue[];
}

export interface BeaconBatch {
  valid: Beacon[];
  rejected: RejectedBeacon[];
}

const validateBeacon = createValidator(Beacon, 5);

/** Throws AppError for a body that is not a usable batch at all (bad JSON, not an array, too many). */
export function parseBeaconBatch(body: string, maxBeacons: number): BeaconBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AppError('ERR_VALIDATION', 'the body is not JSON; send a JSON array of beacons');
  }
  if (!Array.isArray(parsed))
    throw new AppError('ERR_VALIDATION', 'the body must be a JSON array of beacons');
  if (parsed.length === 0) throw new AppError('ERR_VALIDATION', 'the batch is empty');
  if (parsed.length > maxBeacons) {
    throw new AppError(
      'ERR_PAYLOAD_TOO_LARGE',
      `a batch holds at most ${maxBeacons} beacons, got ${parsed.length}`,
    );
  }
  const batch: BeaconBatch = { valid: [], rejected: [] };
  parsed.forEach((item: unknown, index) => {
    const result = validateBeacon(item);
    if (result.ok) batch.valid.push(result.value);
    else batch.rejected.push({ index, issues: result.issues });
  });
  return batch;
}
