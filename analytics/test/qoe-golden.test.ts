/**
 * The golden test on chdb: the hand-worked golden set (golden-fixture.ts) through the consumer's row
 * step into beacons_v1, then every QoE route, first from the view-level table alone, then from the
 * per-minute rollups — and again after every beacon was stored a second time.
 */
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beaconRowStep } from '../src/beacon-row-step.js';
import { type BeaconRow, createBeaconsTable } from '../src/beacons-table.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { readWatermarkMs } from '../src/qoe-sources.js';
import { openChdbSession, qoeTestApp } from './chdb-session.js';
import { expectGoldenAnswers, GOLDEN_API_KEY } from './golden-checks.js';
import { type GoldenBeacon, goldenBeacons } from './golden-fixture.js';

const START_MS = Date.UTC(2025, 5, 1, 10, 0, 0);
const DAY_MS = 24 * 3600 * 1000;
const prefix = uniqueName('golden');
const golden = goldenBeacons(prefix, START_MS);
const chdb = await openChdbSession();
const app = qoeTestApp(chdb.store, { apiKey: GOLDEN_API_KEY, nowMs: START_MS + DAY_MS });
const table = createBeaconsTable(chdb.store);

/** Rows as the consumer writes them (the same step), context included. */
function rowsOf(beacons: GoldenBeacon[], firstOffset: number): BeaconRow[] {
  return beacons.map(({ beacon, receivedAtMs, context }, i) => {
    const result = beaconRowStep(
      context === undefined ? { beacon, receivedAtMs } : { beacon, receivedAtMs, context },
      {
        topic: 'qoe-beacons',
        partition: 0,
        offset: String(firstOffset + i),
        timestamp: receivedAtMs,
        key: beacon.sessionId,
        value: Buffer.alloc(0),
      },
    );
    if (result.kind !== 'ok') throw new Error(result.detail);
    return result.value;
  });
}

async function storedRows(): Promise<number> {
  const result = await chdb.store.client.query({
    query: `SELECT count() AS n FROM ${chdb.store.database}.beacons_v1 WHERE view_id LIKE {prefix:String}`,
    query_params: { prefix: `${prefix}-%` },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n);
}

beforeAll(async () => {
  await table.insert(rowsOf(golden, 0), `${prefix}-first`);
});
afterAll(async () => {
  await app.close();
  await chdb.close();
});

describe('the golden set on chdb', () => {
  it('answers the hand-worked numbers from the view-level table (rollups not run yet)', async () => {
    expect(await readWatermarkMs(chdb.store)).toBe(0);
    await expectGoldenAnswers(app, prefix, START_MS);
  });

  it('answers the same after every beacon was stored a second time, in other batches', async () => {
    // Reversed and split in two: other blocks, other tokens, so ClickHouse keeps every copy.
    const again = rowsOf([...golden].reverse(), 1000);
    await table.insert(again.slice(0, 20), `${prefix}-again-1`);
    await table.insert(again.slice(20), `${prefix}-again-2`);
    // Every golden view id starts with the prefix; the CMCD beacon's is its session id, which does too.
    expect(await storedRows()).toBe(2 * golden.length);
    await expectGoldenAnswers(app, prefix, START_MS);
  });

  it('answers the same from the per-minute rollups, and a second rollup run changes nothing', async () => {
    const first = await runRollup(chdb.store, { nowMs: START_MS + DAY_MS });
    // Everything settled a day later: the rollups cover the whole golden range.
    expect(first.watermarkMs).toBe(START_MS + DAY_MS - 30 * 60_000);
    await expectGoldenAnswers(app, prefix, START_MS);
    const second = await runRollup(chdb.store, { nowMs: START_MS + DAY_MS });
    expect(second.watermarkMs).toBe(first.watermarkMs);
    await expectGoldenAnswers(app, prefix, START_MS);
  });

  it('answers the same from the rollups after a third copy of every beacon and another rollup run', async () => {
    await table.insert(rowsOf(golden, 2000), `${prefix}-third`);
    // Inserted after the last run: the job recomputes their minutes from the deduplicated views.
    const rerun = await runRollup(chdb.store, { nowMs: START_MS + DAY_MS });
    expect(rerun.recomputed.length).toBeGreaterThan(0);
    await expectGoldenAnswers(app, prefix, START_MS);
  });
});
