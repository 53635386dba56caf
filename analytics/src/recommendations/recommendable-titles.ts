/**
 * Which titles may be recommended: the catalog's publicly playable videos (`isPubliclyPlayable`:
 * `ready` and `public` with a published ladder). A signed video is never named to someone without its owner's key, and one not
 * ready could not be played.
 *
 * One answer asks about up to a hundred candidates, and the catalog must not be on the path of every
 * request: each answer (yes with the title and ladder, or no) is remembered in memory for `ttlMs`
 * (30 s by default). The ids not remembered are asked in ONE query (`getVideos`), shared by every
 * concurrent asker of the same id; a failed query is not remembered. An answer past half its time is
 * still served, and refreshed in the background (again one query for all of them), so titles people
 * keep asking about never make a request wait for the catalog. The cost of the memory: a video made
 * signed or deleted may still be recommended, and one just made ready may be missing, for up to
 * `ttlMs` (playback itself checks again, so nothing plays that should not).
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideos, isPubliclyPlayable } from '@streamloop/catalog/video-repository';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';

export interface RecommendableTitle {
  videoId: string;
  title: string;
  ladder: LadderRecord;
}

export interface RecommendableTitlesOptions {
  catalog: Queryable;
  ttlMs?: number;
  /** Answers kept; the oldest goes first. */
  maxEntries?: number;
  now?: () => number;
}

export interface RecommendableTitles {
  /** The recommendable ones among `videoIds`, by id; rejects when the catalog does not answer. */
  lookup(videoIds: readonly string[]): Promise<Map<string, RecommendableTitle>>;
}

export const DEFAULT_TITLE_TTL_MS = 30_000;

export function createRecommendableTitles(options: RecommendableTitlesOptions): RecommendableTitles {
  const ttlMs = options.ttlMs ?? DEFAULT_TITLE_TTL_MS;
  const maxEntries = options.maxEntries ?? 50_000;
  const now = options.now ?? Date.now;
  const answers = new Map<string, { answer: RecommendableTitle | null; askedAt: number }>();
  /** Ids whose query is under way, with it: askers of the moment share it. */
  const asking = new Map<string, Promise<void>>();

  const remember = (videoId: string, answer: RecommendableTitle | null, askedAt: number) => {
    // Map order is insertion order: deleting first keeps the first key the oldest entry.
    answers.delete(videoId);
    if (answers.size >= maxEntries) answers.delete(answers.keys().next().value as string);
    answers.set(videoId, { answer, askedAt });
  };

  const ask = (videoIds: string[]): Promise<void> => {
    const askedAt = now();
    const query = getVideos(options.catalog, videoIds).then(
      (videos) => {
        const byId = new Map(videos.map((video) => [video.id, video]));
        for (const videoId of videoIds) {
          const video = byId.get(videoId);
          remember(
            videoId,
            video !== undefined && isPubliclyPlayable(video)
              ? { videoId, title: video.title, ladder: video.ladder }
              : null,
            askedAt,
          );
          asking.delete(videoId);
        }
      },
      (err: unknown) => {
        for (const videoId of videoIds) asking.delete(videoId);
        throw err;
      },
    );
    for (const videoId of videoIds) asking.set(videoId, query);
    return query;
  };

  return {
    async lookup(videoIds) {
      const at = now();
      const unknown: string[] = [];
      const stale: string[] = [];
      for (const videoId of new Set(videoIds)) {
        const known = answers.get(videoId);
        const age = known === undefined ? Number.POSITIVE_INFINITY : at - known.askedAt;
        if (asking.has(videoId)) continue;
        if (age >= ttlMs) unknown.push(videoId);
        else if (age >= ttlMs / 2) stale.push(videoId);
      }
      // The background refresh's failure is not this request's: the answers stay until their time.
      if (stale.length > 0) ask(stale).catch(() => {});
      if (unknown.length > 0) ask(unknown).catch(() => {});
      const titles = new Map<string, RecommendableTitle>();
      for (const videoId of videoIds) {
        const known = answers.get(videoId);
        const fresh = known !== undefined && at - known.askedAt < ttlMs ? known : undefined;
        if (fresh === undefined) {
          await asking.get(videoId);
          // Asked just now (or by another request a moment ago), so it is remembered unless it failed.
          const answer = answers.get(videoId)?.answer;
          if (answer) titles.set(videoId, answer);
        } else if (fresh.answer !== null) titles.set(videoId, fresh.answer);
      }
      return titles;
    },
  };
}
