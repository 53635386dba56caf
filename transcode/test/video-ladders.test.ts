/**
 * One more ladder for a ready video, with real ffmpeg on the embedded adapters: the catalog row goes
 * queued → ready with what it stores per rendition, the ladder is published in its own folder beside
 * the primary one, and a failing encode marks only its row failed — the video stays ready.
 */
import path from 'node:path';
import { createLadderVersion } from '@streamloop/catalog/ladder-repository';
import {
  getVideoLadder,
  type LadderJob,
  requestVideoLadder,
} from '@streamloop/catalog/video-ladder-repository';
import { getVideo } from '@streamloop/catalog/video-repository';
import type { VideoLadder } from '@streamloop/core/ladders';
import { ladderPrefix, MASTER_PLAYLIST } from '@streamloop/core/object-layout';
import { eventually } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeClip,
  makeJob,
  parseMaster,
  settledVideo,
  startTranscodeFixture,
  type TranscodeFixture,
} from './helpers.js';

const PHONE = {
  id: 'phone',
  description: 'two small rungs',
  rungs: [
    {
      height: 144,
      codec: 'h264',
      profile: 'main',
      videoBitrateKbps: 150,
      maxrateKbps: 160,
      bufsizeKbps: 225,
    },
    {
      height: 240,
      codec: 'h264',
      profile: 'main',
      videoBitrateKbps: 400,
      maxrateKbps: 428,
      bufsizeKbps: 600,
    },
  ],
  audioBitrateKbps: 64,
  presets: { h264: 'ultrafast', hevc: 'ultrafast', av1: '12' },
};

function settledLadder(fixture: TranscodeFixture, videoId: string, ladderId: string): Promise<VideoLadder> {
  return eventually(
    `ladder ${ladderId} of ${videoId} to be ready or failed`,
    async () => {
      const row = await getVideoLadder(fixture.catalog, videoId, ladderId);
      return row?.status === 'ready' || row?.status === 'failed' ? row : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

async function requestLadder(fixture: TranscodeFixture, job: LadderJob): Promise<void> {
  await requestVideoLadder(fixture.catalog, { job, topic: TOPICS.transcodeJobs.name, requestedBy: 'test' });
  await fixture.publish(job);
}

describe('one more ladder for a ready video (real ffmpeg, embedded adapters)', () => {
  let fixture: TranscodeFixture;
  let videoId: string;
  let sourceKey: string;

  beforeAll(async () => {
    fixture = await startTranscodeFixture();
    const clip = await makeClip(path.join(fixture.dir, 'clip.mp4'), { seconds: 4, size: '640x360' });
    const first = await fixture.submit(clip);
    ({ videoId, sourceKey } = first);
    expect((await settledVideo(fixture.catalog, videoId)).status).toBe('ready');
    await createLadderVersion(fixture.catalog, PHONE, 'test');
    await createLadderVersion(
      fixture.catalog,
      { ...PHONE, id: 'tiny', rungs: PHONE.rungs.slice(0, 1) },
      'test',
    );
  }, 180_000);
  afterAll(() => fixture.teardown());

  it('records what the primary ladder stores per rendition, as the files on disk add up', async () => {
    const video = await getVideo(fixture.catalog, videoId);
    const renditions = video?.ladder?.renditions ?? [];
    expect(renditions.length).toBeGreaterThanOrEqual(2);
    for (const rendition of renditions) {
      const folder = `${ladderPrefix(videoId, 'default')}${rendition.name}/`;
      let bytes = 0;
      for await (const object of fixture.objectStore.list(folder)) bytes += object.size;
      expect(rendition.storageBytes, rendition.name).toBe(bytes);
    }
  });

  it('encodes the stored ladder into its own folder, lists only its rungs, and leaves the video ready', async () => {
    const primaryBefore = (await getVideo(fixture.catalog, videoId))?.ladder;
    await requestLadder(fixture, { ...makeJob({ videoId, sourceKey }), ladder: { id: 'phone', version: 1 } });
    const row = await settledLadder(fixture, videoId, 'phone');
    expect(row).toMatchObject({ status: 'ready', error: null, ladderVersion: 1 });
    expect(row.record?.renditions.map((r) => r.name)).toEqual(['144p', '240p']);

    const masterKey = `${ladderPrefix(videoId, 'phone')}${MASTER_PLAYLIST}`;
    const variants = parseMaster((await fixture.objectStore.getBuffer(masterKey))!.toString('utf8'));
    expect(variants.map((v) => v.attributes.RESOLUTION)).toEqual(['256x144', '426x240']);

    let stored = 0;
    for await (const object of fixture.objectStore.list(ladderPrefix(videoId, 'phone'))) {
      if (/\/(144p|240p|audio)\//.test(object.key)) stored += object.size;
    }
    expect(row.storageBytes).toBe(stored);

    const video = await getVideo(fixture.catalog, videoId);
    expect(video?.status).toBe('ready');
    expect(video?.ladder).toEqual(primaryBefore);
  });

  it('fails only the ladder, with the reason, when its encode cannot succeed', async () => {
    await requestLadder(fixture, {
      ...makeJob({ videoId, sourceKey: `sources/${videoId}/gone` }),
      ladder: { id: 'tiny', version: 1 },
    });
    const row = await settledLadder(fixture, videoId, 'tiny');
    expect(row).toMatchObject({ status: 'failed', record: null });
    expect(row.error).toBe(`the uploaded source sources/${videoId}/gone is missing`);
    expect((await getVideo(fixture.catalog, videoId))?.status).toBe('ready');
  });
});
