/**
 * TRANSCODE_PER_TITLE on: a new upload is probed first and encoded with its content-only per-title
 * ladder instead of the default one (the worker on the embedded adapters, real ffmpeg).
 */
import path from 'node:path';
import { getLadder } from '@streamloop/catalog/ladder-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { contentProbeKey } from '@streamloop/core/object-layout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perTitleLadderId } from '../../src/per-title/per-title-plan.js';
import { makeClip, settledVideo, startTranscodeFixture, type TranscodeFixture } from '../helpers.js';

describe('a per-title ladder at upload', () => {
  let fixture: TranscodeFixture;
  beforeAll(async () => {
    fixture = await startTranscodeFixture({ perTitle: true });
  });
  afterAll(async () => fixture?.teardown());

  it("encodes a slide deck with its own ladder, far under the default ladder's top", async () => {
    const clip = await makeClip(path.join(fixture.dir, 'slides.mp4'), {
      seconds: 8,
      size: '1280x720',
      picture: 'slides',
    });
    const job = await fixture.submit(clip);
    const video = await settledVideo(fixture.catalog, job.videoId, { timeoutMs: 240_000, intervalMs: 200 });
    expect(video).toMatchObject({ status: 'ready', error: null });

    // The primary ladder is the video's per-title ladder, stored in the catalog like any other.
    expect(video.ladder?.ladderId).toBe(perTitleLadderId(job.videoId));
    const ladder = await getLadder(fixture.catalog, video.ladder!.ladderId, video.ladder!.ladderVersion);
    expect(ladder?.createdBy).toBe('transcode');
    // The default ladder spends 3 Mbit/s at 720p on this source; the slides need a small part of it.
    const defaultTop = Math.max(
      ...DEFAULT_LADDER.rungs.filter((r) => r.height <= 720).map((r) => r.videoBitrateKbps),
    );
    const top = Math.max(...video.ladder!.renditions.map((r) => r.videoBitrateKbps));
    expect(top).toBeLessThan(defaultTop / 4);
    // Still a cellular rung: ≤ 192 kbit/s with the audio.
    const lowest = Math.min(...video.ladder!.renditions.map((r) => r.videoBitrateKbps));
    expect(lowest + DEFAULT_LADDER.audioBitrateKbps).toBeLessThanOrEqual(192);

    // The probe it was planned from is kept for the ladder-plan API.
    expect(await fixture.objectStore.head(contentProbeKey(job.videoId))).not.toBeNull();
  });
});
