/**
 * Which titles may be recommended: the catalog's videos that are `ready` and `public` with a
 * published ladder. A signed video is never named to someone without its owner's key, and one not
 * ready could not be played.
 *
 * One answer asks about up to a hundred candidates, and the catalog must not see a query for each of
 * them on every request: each answer (yes with the title and ladder, or no) is remembered in memory
 * for `ttlMs` (30 s by default), concurrent askers of the same id share one query, and a failed query
 * is not remembered. The cost of the memory: a video made signed or deleted may still be recommended,
 * and one just made ready may be missing, for up to `ttlMs` (playback itself checks again, so nothing
 * plays that should not).
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
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
  const answers = new Map<string, { expiresAt: number; answer: Promise<RecommendableTitle | null> }>();

  const ask = async (videoId: string): Promise<RecommendableTitle | null> => {
    const video = await getVideo(options.catalog, videoId);
    if (video?.status !== 'ready' || video.playbackPolicy !== 'public' || video.ladder === null) return null;
    return { videoId, title: video.title, ladder: video.ladder };
  };

  const answerFor = (videoId: string): Promise<RecommendableTitle | null> => {
    const known = answers.get(videoId);
    if (known !== undefined && known.expiresAt > now()) return known.answer;
    answers.delete(videoId);
    if (answers.size >= maxEntries) answers.delete(answers.keys().next().value as string);
    // Pending answers never expire, so every asker of the moment shares the one query.
    const entry = { expiresAt: Number.POSITIVE_INFINITY, answer: ask(videoId) };
    answers.set(videoId, entry);
    entry.answer.then(
      () => {
        entry.expiresAt = now() + ttlMs;
      },
      () => {
        if (answers.get(videoId) === entry) answers.delete(videoId);
      },
    );
    return entry.answer;
  };

  return {
    async lookup(videoIds) {
      const found = await Promise.all(videoIds.map(answerFor));
      const titles = new Map<string, RecommendableTitle>();
      for (const title of found) if (title !== null) titles.set(title.videoId, title);
      return titles;
    },
  };
}
