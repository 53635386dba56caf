/**
 * Whether a video's media may be served, from the catalog, remembered briefly in-process: a player
 * asks for a segment every few seconds and the catalog should not see each one. `ready` is final in
 * the catalog's state machine, so it is kept longer; other answers are kept for a moment only, so a
 * video that has just become ready plays straight away. Concurrent misses share one query.
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';

export type Availability = 'ready' | 'not_ready' | 'unknown';

export interface VideoAvailabilityOptions {
  catalog: Queryable;
  readyTtlMs?: number;
  notReadyTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export interface VideoAvailability {
  check(videoId: string): Promise<Availability>;
}

export function createVideoAvailability(options: VideoAvailabilityOptions): VideoAvailability {
  const readyTtlMs = options.readyTtlMs ?? 5_000;
  const notReadyTtlMs = options.notReadyTtlMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { until: number; value: Promise<Availability> }>();

  const lookup = async (videoId: string): Promise<Availability> => {
    const video = await getVideo(options.catalog, videoId);
    if (video === undefined) return 'unknown';
    return video.status === 'ready' ? 'ready' : 'not_ready';
  };

  return {
    check(videoId) {
      const at = now();
      const cached = entries.get(videoId);
      if (cached && cached.until > at) return cached.value;
      entries.delete(videoId);
      // Map order is insertion order: the first key is the oldest entry.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const value = lookup(videoId);
      // Until it settles, concurrent callers share the query; a failure is not remembered.
      const entry = { until: Number.POSITIVE_INFINITY, value };
      entries.set(videoId, entry);
      value.then(
        (answer) => {
          entry.until = now() + (answer === 'ready' ? readyTtlMs : notReadyTtlMs);
        },
        () => {
          if (entries.get(videoId) === entry) entries.delete(videoId);
        },
      );
      return value;
    },
  };
}
