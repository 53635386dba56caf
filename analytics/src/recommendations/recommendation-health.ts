/**
 * Is "Up next" working? The numbers of `GET /api/v1/recommendations/health`, over a range of minutes
 * and a viewer scope:
 * - coverage: titles shown in an impression that may be recommended now (the catalog's rule of
 *   recommendable-titles.ts) over all such titles, with the impressions and the viewers shown them;
 * - click-through per reason: clicks / impressions from the `recommendationimpression` and
 *   `recommendationclick` beacons (migrations/011);
 * - QoE of views begun from a recommendation (their viewstart carries `recommendation_reason`) against
 *   every other view, through the QoE model's own SQL and formulas (qoe-view-sql.ts, qoe-model.ts).
 *
 * Beacons: received in the range; each counts once however often it was stored (uniqExact on
 * beacon_id: a redelivered batch stores a beacon twice). Views: started in the range (views_v1 keeps
 * each view's beacons as a set, so a duplicate counts once there too). Real viewers only unless the
 * scope says otherwise, per beacon for impressions and clicks, per view for QoE.
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { PUBLICLY_PLAYABLE_SQL } from '@streamloop/catalog/video-repository';
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import {
  type RecommendationClickThrough,
  type RecommendationHealthResponse,
  type RecommendationPlaysQoe,
  RecommendationReason,
} from '@streamloop/core/schemas/recommendations';
import { type AnalyticsTarget, BEACONS_TABLE } from '../beacons-table.js';
import { jsonRows } from '../json-rows.js';
import { type TotalsRow, toQoeMetrics } from '../qoe-model.js';
import { freshViewRows, type QoeRange, VIEW_DAYS_BEFORE_RANGE } from '../qoe-sources.js';
import { minutePartialsSelect, TOTALS_SELECT } from '../qoe-view-sql.js';
import { BEACON_SCOPE_CONDITIONS } from '../session-queries.js';

export type RecommendationHealth = Omit<RecommendationHealthResponse, 'from' | 'to' | 'synthetic'>;

/** Every reason a beacon may carry, in the contract's order. */
export const RECOMMENDATION_REASONS = RecommendationReason.anyOf.map((literal) => literal.const);

const DAY_MS = 24 * 3600 * 1000;

/** Minutes of view starts or beacon arrivals, and which viewers count. */
export interface HealthQuery extends QoeRange {
  synthetic: SyntheticScope;
}

export async function getRecommendationHealth(
  deps: { analyticsStore: AnalyticsTarget; catalog: Queryable },
  query: HealthQuery,
): Promise<RecommendationHealth> {
  const [shown, clicks, qoe] = await Promise.all([
    readImpressions(deps.analyticsStore, query),
    readClickThrough(deps.analyticsStore, query),
    readRecommendedQoe(deps.analyticsStore, query),
  ]);
  const catalog = await countRecommendableTitles(deps.catalog, shown.titles);
  return {
    coverage: {
      catalogTitles: catalog.titles,
      recommendedTitles: catalog.among,
      coverage: catalog.titles > 0 ? catalog.among / catalog.titles : null,
      impressions: shown.impressions,
      viewersShown: shown.viewers,
    },
    clickThrough: clicks,
    qoe,
  };
}

/**
 * The catalog's publicly playable rule (`PUBLICLY_PLAYABLE_SQL`, the one recommendable-titles.ts
 * applies to records) as one count: how many titles may be recommended now, and how many of
 * `videoIds` are among them. Read fresh: one query per health request.
 */
export async function countRecommendableTitles(
  catalog: Queryable,
  videoIds: readonly string[],
): Promise<{ titles: number; among: number }> {
  const [row] = await catalog.query<{ titles: string | number; among: string | number }>(
    `SELECT count(*) AS titles, count(*) FILTER (WHERE id = ANY($1::text[])) AS among
     FROM videos WHERE ${PUBLICLY_PLAYABLE_SQL}`,
    [videoIds],
  );
  return { titles: Number(row?.titles ?? 0), among: Number(row?.among ?? 0) };
}

/** `received_at` in [fromMs, toMs), the scope's beacons, every event in `events`. */
const beaconsInRange = (database: string, scope: SyntheticScope) => `
  FROM ${database}.${BEACONS_TABLE}
  WHERE received_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
    AND received_at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
    AND event IN {events:Array(String)} ${BEACON_SCOPE_CONDITIONS[scope]}`;

/** Impressions, the viewers shown them and the distinct titles shown (for the catalog's count). */
async function readImpressions(
  target: AnalyticsTarget,
  query: HealthQuery,
): Promise<{ impressions: number; viewers: number; titles: string[] }> {
  const [row] = await jsonRows<{ impressions: number; viewers: number; titles: string[] }>(
    target,
    `SELECT
       uniqExact(beacon_id) AS impressions,
       uniqExact(viewer_id) AS viewers,
       groupUniqArrayIf(assumeNotNull(recommended_video_id), recommended_video_id IS NOT NULL) AS titles
     ${beaconsInRange(target.database, query.synthetic)}`,
    { fromMs: query.fromMs, toMs: query.toMs, events: ['recommendationimpression'] },
  );
  return { impressions: row?.impressions ?? 0, viewers: row?.viewers ?? 0, titles: row?.titles ?? [] };
}

/** Impressions and clicks per reason; a reason nobody was shown is a row of zeros. */
async function readClickThrough(
  target: AnalyticsTarget,
  query: HealthQuery,
): Promise<RecommendationClickThrough[]> {
  const rows = await jsonRows<{ reason: string; impressions: number; clicks: number }>(
    target,
    `SELECT
       assumeNotNull(recommendation_reason) AS reason,
       uniqExactIf(beacon_id, event = 'recommendationimpression') AS impressions,
       uniqExactIf(beacon_id, event = 'recommendationclick') AS clicks
     ${beaconsInRange(target.database, query.synthetic)}
       AND recommendation_reason IS NOT NULL
     GROUP BY reason`,
    {
      fromMs: query.fromMs,
      toMs: query.toMs,
      events: ['recommendationimpression', 'recommendationclick'],
    },
  );
  const byReason = new Map(rows.map((row) => [row.reason, row]));
  return RECOMMENDATION_REASONS.map((reason) => {
    const impressions = byReason.get(reason)?.impressions ?? 0;
    const clicks = byReason.get(reason)?.clicks ?? 0;
    return { reason, impressions, clicks, clickThroughRate: impressions > 0 ? clicks / impressions : null };
  });
}

/**
 * Views begun from a recommendation: their viewstart says so. Read from as far back as
 * `freshViewRows` reads a view's rows, so a view that started in the range is judged by its own
 * viewstart even when that beacon arrived before `fromMs`.
 */
const recommendedViewsSql = (database: string) => `
  SELECT video_id, view_id FROM ${database}.${BEACONS_TABLE}
  WHERE source = 'sdk' AND event = 'viewstart' AND recommendation_reason IS NOT NULL
    AND received_at >= fromUnixTimestamp64Milli({p_viewstartsFromMs:Int64}, 'UTC')`;

/**
 * The QoE model's partials (qoe-view-sql.ts) of the two groups, summed by TOTALS_SELECT and turned
 * into numbers by toQoeMetrics: the same definitions as every QoE route, only the grouping is new.
 * Views of the range are read from views_v1 directly: the rollups do not know how a view began.
 */
async function readRecommendedQoe(
  target: AnalyticsTarget,
  query: HealthQuery,
): Promise<{ recommended: RecommendationPlaysQoe; other: RecommendationPlaysQoe }> {
  const recommended = recommendedViewsSql(target.database);
  const group = (flag: 0 | 1, membership: 'IN' | 'NOT IN') =>
    `SELECT ${flag} AS recommended, * FROM (${minutePartialsSelect(
      freshViewRows(
        target.database,
        {},
        query.synthetic,
        `AND (video_id, view_id) ${membership} (${recommended})`,
      ),
    )})`;
  const rows = await jsonRows<TotalsRow & { recommended: number }>(
    target,
    `SELECT recommended, ${TOTALS_SELECT}
     FROM (${group(1, 'IN')} UNION ALL ${group(0, 'NOT IN')})
     GROUP BY recommended`,
    {
      v_fromMs: query.fromMs,
      v_toMs: query.toMs,
      // Never below 0, as in freshViewRows: DateTime counts from 1970 unsigned.
      p_viewstartsFromMs: Math.max(query.fromMs - VIEW_DAYS_BEFORE_RANGE * DAY_MS, 0),
    },
  );
  const of = (flag: number): RecommendationPlaysQoe => {
    const metrics = toQoeMetrics(rows.find((row) => Number(row.recommended) === flag));
    return {
      views: metrics.views,
      plays: metrics.plays,
      startupTimeMs: { p50: metrics.startupTimeMs.p50, p90: metrics.startupTimeMs.p90 },
      rebufferRatio: metrics.rebufferRatio,
      videoStartFailurePercent: metrics.videoStartFailurePercent,
    };
  };
  return { recommended: of(1), other: of(0) };
}
