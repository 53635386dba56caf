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

/**
 * The answer, building only the titles that can reach it. One answer weighs a hundred and more
 * candidates and keeps `limit` of them, so candidates are ordered first by what is cheap — the fit
 * group (QoE-aware: `fitsOf`, a rung against the p10) and the score — and only those that can still
 * reach the first `limit` are built (`build`: the answer's title, its prediction complete; that is
 * where the playback model runs): the first `limit` and every candidate tied with the last of them,
 * since the model's stall risk and the id only break ties of (group, score). The order is exactly
 * `rankRecommendations`' over every candidate built: nothing is lost but the garbage of the titles
 * that could not be in the answer.
 */
export function rankCandidates<C extends { videoId: string; score: number }>(
  candidates: readonly C[],
  options: RankOptions & {
    /** QoE-aware only: the candidate's `fits` (false ranks below every other). */
    fitsOf?: (candidate: C) => boolean | null;
    build: (candidate: C) => RecommendedTitle;
  },
): RecommendedTitle[] {
  const { qoeAware, limit, fitsOf, build } = options;
  const count = candidates.length;
  // Plain arrays of small integers: no object per candidate, no typed array's off-heap buffer.
  const group: number[] = new Array(count).fill(0);
  if (qoeAware && fitsOf !== undefined) {
    for (let i = 0; i < count; i++) group[i] = fitsOf(candidates[i]!) === false ? 1 : 0;
  }
  const compare = (i: number, j: number): number =>
    group[i]! - group[j]! || candidates[j]!.score - candidates[i]!.score;
  const order = Array.from({ length: count }, (_, i) => i).sort(compare);
  let reach = Math.min(limit, count);
  while (reach > 0 && reach < count && compare(order[reach]!, order[reach - 1]!) === 0) reach++;
  const contenders = order.slice(0, reach).map((i) => build(candidates[i]!));
  return rankRecommendations(contenders, { qoeAware, limit });
}

/** The best `limit` titles, best first; `titles` is left as it was. */
export function rankRecommendations(
  titles: readonly RecommendedTitle[],
  options: RankOptions,
): RecommendedTitle[] {
  const compare = options.qoeAware ? compareQoeAware : compareSimilarity;
  return [...titles].sort(compare).slice(0, options.limit);
}
