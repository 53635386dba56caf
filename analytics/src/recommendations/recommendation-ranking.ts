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

/** A title's prediction before (or without) the QoE step: nothing known. */
export const NO_PREDICTION: RecommendedTitle['predicted'] = {
  startupMs: null,
  stallRisk: null,
  lowestRungKbps: null,
  fits: null,
};

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

function compareGroupAndScore(a: RecommendedTitle, b: RecommendedTitle): number {
  return groupOf(a) - groupOf(b) || b.score - a.score;
}

/**
 * The QoE-aware answer without predicting every candidate: `titles` carry their `fits` (cheap: a rung
 * against the p10) and no model prediction yet. Since the model's stall risk only breaks ties of
 * (group, score), only titles that can still reach the first `limit` need it: the first `limit` by
 * (group, score) and every title tied with the last of them. `predict` completes a title's
 * prediction; the order is exactly `rankRecommendations`' over fully predicted titles.
 */
export function rankPredictingAnswerOnly(
  titles: readonly RecommendedTitle[],
  limit: number,
  predict: (title: RecommendedTitle) => RecommendedTitle['predicted'],
): RecommendedTitle[] {
  const byGroupAndScore = [...titles].sort(compareGroupAndScore);
  let reach = Math.min(limit, byGroupAndScore.length);
  const last = byGroupAndScore[reach - 1];
  while (
    last !== undefined &&
    reach < byGroupAndScore.length &&
    compareGroupAndScore(byGroupAndScore[reach]!, last) === 0
  ) {
    reach++;
  }
  const contenders = byGroupAndScore
    .slice(0, reach)
    .map((title) => ({ ...title, predicted: predict(title) }));
  return rankRecommendations(contenders, { qoeAware: true, limit });
}

/** The best `limit` titles, best first; `titles` is left as it was. */
export function rankRecommendations(
  titles: readonly RecommendedTitle[],
  options: RankOptions,
): RecommendedTitle[] {
  const compare = options.qoeAware ? compareQoeAware : compareSimilarity;
  return [...titles].sort(compare).slice(0, options.limit);
}
