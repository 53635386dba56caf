/**
 * The content probe of a video that has just become ready (issue 13): `probeContent` on the source
 * the encode already fetched, stored as core's `ContentProbe` at `contentProbeKey` beside the source
 * for the ladder plan to read. It runs after the video is ready, so it never delays playback, and
 * it never fails the job: a probe that cannot be made is logged (the plan then answers 409 naming
 * TRANSCODE_CONTENT_PROBE) — except a stop, which aborts it like the encode.
 *
 * A video deleted while it was probed: the deleter removed the probe's key before or after the
 * probe was stored; when the row is gone once it is stored, the probe is removed again. (A delete
 * between the deleter's object sweep and its row delete, a few ms, can still leave the small JSON
 * behind: the same window as a rendition published at that moment.)
 */

import type { Catalog } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
import type { Logger } from '@streamloop/core/logger';
import { contentProbeKey } from '@streamloop/core/object-layout';
import { CONTENT_PROBE_VERSION, type ContentProbe } from '@streamloop/core/schemas/ladder-plan';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { type ContentProbeSource, probeContent } from './content-probe.js';

export interface StoreContentProbeDeps {
  catalog: Catalog;
  objectStore: ObjectStore;
  logger: Logger;
  /** Where the probe encodes are written: the job's attempt folder. */
  workDir: string;
}

/** Probes and stores; the probe when stored. Rethrows only an abort (the worker is stopping). */
export async function storeContentProbe(
  deps: StoreContentProbeDeps,
  videoId: string,
  source: ContentProbeSource,
  signal: AbortSignal,
): Promise<ContentProbe | undefined> {
  const { catalog, objectStore, logger } = deps;
  let probe: ContentProbe;
  try {
    const result = await probeContent(source, { workDir: deps.workDir, signal });
    probe = {
      version: CONTENT_PROBE_VERSION,
      videoId,
      probedAt: new Date().toISOString(),
      source: { width: source.width, height: source.height, durationSec: source.durationSec },
      settings: {
        samples: result.samples.length,
        sampleSec: result.sampledSec / Math.max(1, result.samples.length),
        codec: result.codec,
        preset: result.preset,
        crfs: [...new Set(result.points.flatMap((p) => (p.crf === undefined ? [] : [p.crf])))],
        display: result.display,
      },
      points: result.points,
      cost: { cpuSeconds: result.cost.cpuSec, wallSeconds: result.cost.wallSec },
    };
  } catch (err) {
    if (signal.aborted) throw err;
    logger.warn(
      { videoId, err },
      'content probe failed: no per-title plan for this video until it is encoded again',
    );
    return undefined;
  }
  const key = contentProbeKey(videoId);
  try {
    await objectStore.put(key, Buffer.from(JSON.stringify(probe)), { contentType: 'application/json' });
    if ((await getVideo(catalog, videoId)) === undefined) {
      await objectStore.delete(key);
      return undefined;
    }
  } catch (err) {
    logger.warn({ videoId, err }, 'content probe made but not stored: no per-title plan for this video');
    return undefined;
  }
  logger.info(
    {
      videoId,
      points: probe.points.length,
      cpuSeconds: probe.cost.cpuSeconds,
      wallSeconds: probe.cost.wallSeconds,
    },
    'content probe stored',
  );
  return probe;
}
