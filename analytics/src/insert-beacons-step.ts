import { type Ok, ok, type Retry, retry } from '@streamloop/event-log/step-result';
import type { BeaconsTable, CompactBeaconRow } from './beacons-table.js';

/** One insert attempt: any failure is the store's (the rows were validated), so it is worth a retry. */
export async function insertBeaconsStep(
  table: BeaconsTable,
  rows: readonly CompactBeaconRow[],
  dedupToken: string,
): Promise<Ok<number> | Retry> {
  try {
    await table.insert(rows, dedupToken);
    return ok(rows.length);
  } catch (err) {
    return retry(err);
  }
}
