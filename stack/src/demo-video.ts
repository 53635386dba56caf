/**
 * Demo content for `npm start`: a generated clip (ffmpeg's test pattern and a tone, nothing
 * downloaded), put through the same path as an upload, so a fresh stack has something to watch.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Catalog } from '@streamloop/catalog/catalog';
import { listVideos, newVideoId } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { sourceKey as sourceKeyOf } from '@streamloop/core/object-layout';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createUploadRecorder } from '@streamloop/ingest/upload-recorder';
import type { ObjectStore } from '@streamloop/object-store/object-store';

const run = promisify(execFile);
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
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330:sample_rate=48000',
      '-t',
      '30',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '20',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-movflags',
      '+faststart',
      file,
    ]);
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
