/**
 * Distinct viewers exposed to each arm of one experiment (experiment_exposures_v1: a row per
 * playback answer that assigned the arm) in [startMs, endMs), in the synthetic scope. What the
 * sample-ratio check compares with the configured split: who was assigned, whether or not their
 * player ever sent a beacon.
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from '../beacons-table.js';
import { EXPOSURES_TABLE } from '../exposure-consumer.js';
import { filterConditions } from '../qoe-filters.js';

export interface ExposedViewersQuery {
  experimentId: string;
  startMs: number;
  endMs: number;
  scope: SyntheticScope;
}

/** Exposed viewers by arm name (arms nobody was exposed to are absent). */
export async function queryExposedViewers(
  target: AnalyticsTarget,
  query: ExposedViewersQuery,
): Promise<Map<string, number>> {
  const result = await target.client.query({
    query: `
      SELECT arm, uniqExact(viewer_id) AS viewers
      FROM ${target.database}.${EXPOSURES_TABLE}
      WHERE experiment_id = {experimentId:String}
        AND exposed_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
        AND exposed_at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
        ${filterConditions({}, query.scope).sql}
      GROUP BY arm`,
    query_params: { experimentId: query.experimentId, fromMs: query.startMs, toMs: query.endMs },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ arm: string; viewers: string }>();
  return new Map(rows.map((row) => [row.arm, Number(row.viewers)]));
}
