/**
 * Turns a request body into the beacons to keep and the ones to refuse, each refusal with its index
 * and the schema's reasons. Pure: the route decides what the outcome means for the response.
 */
import { AppError } from '@streamloop/core/errors';
import { type Beacon, createBeaconValidator } from '@streamloop/core/schemas/beacon';
import type { ValidationIssue } from '@streamloop/core/validate';
import { parseUntrustedJson } from './json-shape.js';

export interface RejectedBeacon {
  index: number;
  issues: ValidationIssue[];
}

export interface BeaconBatch {
  valid: Beacon[];
  rejected: RejectedBeacon[];
}

export interface BatchLimits {
  maxBeacons: number;
  /** A beacon is a flat object with one level of nested objects; the array adds one. */
  maxDepth: number;
}

// The schema plus core's marking rule: cohort/networkClass without `synthetic: true` is refused, so
// a simulated viewer is never half-marked (and stored as a real one).
const validateBeacon = createBeaconValidator(5);

/** Throws AppError for a body that is not a usable batch at all (bad JSON, not an array, too many). */
export function parseBeaconBatch(body: string, limits: BatchLimits): BeaconBatch {
  const parsed = parseUntrustedJson(body, limits.maxDepth);
  if (!Array.isArray(parsed))
    throw new AppError('ERR_VALIDATION', 'the body must be a JSON array of beacons');
  if (parsed.length === 0) throw new AppError('ERR_VALIDATION', 'the batch is empty');
  if (parsed.length > limits.maxBeacons) {
    throw new AppError(
      'ERR_PAYLOAD_TOO_LARGE',
      `a batch holds at most ${limits.maxBeacons} beacons, got ${parsed.length}`,
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
