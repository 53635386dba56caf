/**
 * The order of an answer (pure). Without the QoE step: score (co-watch similarity, popular scaled
 * below it), highest first, ties by videoId.
 *
 * QoE-aware (the default): a title the viewer's link cannot carry goes below every title it can,
 *
 *   order by  fits = false last,  score desc,  stallRisk asc,  videoId
 *
 * - `fits = false` (the lowest rung is above the viewer's p10): such a title would stall or fail to
 *   start for a tenth of the viewer's time, however good the match, so it ranks below every title
 *   that fits — similarity order kept within each group. Unknown (`null`: no throughput known, or
 *   no ladder the model can read) counts as fitting: no evidence against a title is not a reason to
 *   bury it.
 * - `stallRisk` (the model's expected rebuffer ratio) breaks ties between equally similar titles,
 *   lowest first, unknown last. It is a tie-breaker, not a penalty on the score: the issue asks to
 *   keep similarity order within each group, and there is no measured exchange rate yet between a
 *   point of similarity and a point of rebuffering to weigh one against the other.
 */
import { compareCodePoints } from '@streamloop/core/code-point-order';
import type { RecommendedTitle } from '@streamloop/core/schemas/recommendations';

export interface RankOptions {
  qoeAware: boolean;
  limit: number;
}

const groupOf = (title: RecommendedTitle): number => (title.predicted.fits === false ? 1 : 0);
const riskOf = (title: RecommendedTitle): number => title.predicted.stallRisk ?? Number.POSITIVE_INFINITY;

function compareQoeAware(a: RecommendedTitle, b: RecommendedTitle): number {
  return (
    groupOf(a) - groupOf(b) ||
    b.score - a.score ||
    compareRisk(a, b) ||
    compareCodePoints(a.videoId, b.videoId)
  );
}

function compareRisk(a: RecommendedTitle, b: RecommendedTitle): number {
  const [ra, rb] = [riskOf(a), riskOf(b)];
  return ra === rb ? 0 : ra < rb ? -1 : 1;
}

function compareSimilarity(a: RecommendedTitle, b: RecommendedTitle): number {
  return b.score - a.score || compareCodePoints(a.videoId, b.videoId);
}

/** The best `limit` titles, best first; `titles` is left as it was. */
export function rankRecommendations(
  titles: readonly RecommendedTitle[],
  options: RankOptions,
): RecommendedTitle[] {
  const compare = options.qoeAware ? compareQoeAware : compareSimilarity;
  return [...titles].sort(compare).slice(0, options.limit);
}
