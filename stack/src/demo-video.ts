/**
 * Demo content for `npm start`: a generated clip (ffmpeg's test pattern and a tone, nothing
 * downloaded), put through the same path as an upload, so a fresh stack has something to watch.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { listVideos, newVideoId } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { sourceKey as sourceKeyOf } from '@streamloop/core/object-layout';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createUploadRecorder } from '@streamloop/ingest/upload-recorder';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { generateTestPatternClip } from './test-pattern-clip.js';

export const DEMO_TITLE = 'streamloop demo';

export interface DemoDeps {
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  logger: Logger;
  workDir: string;
}

/** Returns the demo video's id, creating it on the first start; undefined when ffmpeg is missing. */
export async function ensureDemoVideo(deps: DemoDeps): Promise<string | undefined> {
  const existing = await listVideos(deps.catalog, { q: DEMO_TITLE, limit: 10 });
  const found = existing.videos.find((v) => v.title === DEMO_TITLE && v.status !== 'failed');
  if (found) return found.id;

  fs.mkdirSync(deps.workDir, { recursive: true });
  const file = path.join(deps.workDir, 'demo.mp4');
  try {
    await generateTestPatternClip(file, {
      seconds: 30,
      width: 1280,
      height: 720,
      toneHz: 330,
      video: { preset: 'veryfast', crf: 20 },
    });
  } catch (err) {
    deps.logger.warn(
      { reason: reasonOf(err) },
      'no demo video: ffmpeg is needed (apt-get install -y ffmpeg)',
    );
    return undefined;
  }
  const videoId = newVideoId();
  const sourceKey = sourceKeyOf(videoId);
  await deps.objectStore.put(sourceKey, fs.createReadStream(file), { contentType: 'video/mp4' });
  fs.rmSync(file, { force: true });
  const recorder = createUploadRecorder({
    catalog: deps.catalog,
    eventLog: deps.eventLog,
    logger: deps.logger,
  });
  await recorder.record({ videoId, sourceKey, title: DEMO_TITLE, filename: 'demo.mp4' });
  return videoId;
}
