/**
 * The whole loop, in both modes: upload a generated 20 s 1080p clip with the real tus-js-client,
 * wait for the transcode, play it in Debian's Chromium through the watch page, and find that one
 * play in the QoE API and on the dashboard. Also: token refusals at the origin, and a hostile
 * upload that must fail with a readable reason.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { mediaUrlPath } from '@streamloop/core/object-layout';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { eventually, requireService } from '@streamloop/core/testing';
import { createPlaybackToken } from '@streamloop/delivery/playback-token';
import { startProcess } from '@streamloop/service-kit/child-process';
import { startServicesMode } from '@streamloop/stack/services-mode';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { generateClip } from './media.js';
import { entryOf, processEnv, realServiceEnv, SHARED_SECRETS } from './processes.js';
import { tusUpload } from './upload.js';

const ARTIFACTS = path.resolve('artifacts');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-slice-'));
const clip = path.join(workDir, 'clip-1080p-20s.mp4');
const junk = path.join(workDir, 'random-bytes.mp4');
const small = path.join(workDir, 'clip-360p-4s.mp4');
const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
const auth = { authorization: `Bearer ${apiKey}` };

let browser: Browser;
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await generateClip(clip, { seconds: 20, width: 1920, height: 1080 });
  await generateClip(small, { seconds: 4, width: 640, height: 360, bitrate: '1M' });
  fs.writeFileSync(junk, randomBytes(256 * 1024));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface Mode {
  name: string;
  start(): Promise<{ baseUrl: string; stop(): Promise<unknown> }>;
}

const modes: Mode[] = [
  {
    name: 'single process on embedded defaults',
    start: () => startProcess(entryOf('stack'), processEnv({ ...SHARED_SECRETS, STREAMLOOP_DEMO: '0' })),
  },
  {
    name: 'services on Kafka, S3Proxy, PostgreSQL, Redis and chdb behind nginx',
    start: () => {
      const config = loadConfig(process.env);
      requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
      requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
      requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl);
      requireService('Redis', 'REDIS_URL', config.redisUrl);
      return startServicesMode({
        env: { ...processEnv(), ...realServiceEnv() },
        stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-services-')),
      });
    },
  },
];

describe.each(modes)('the loop — $name', (mode) => {
  let stack: { baseUrl: string; stop(): Promise<unknown> };
  let base: string;
  let videoId: string;

  const getVideo = async (id: string) => {
    const res = await fetch(`${base}/api/v1/videos/${id}`, { headers: auth });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; error: string | null };
  };
  const waitForStatus = (id: string, wanted: string, timeoutMs: number) =>
    eventually(
      `video ${id} to be ${wanted}`,
      async () => {
        const video = await getVideo(id);
        if (video.status === 'failed' && wanted !== 'failed') throw new Error(`video failed: ${video.error}`);
        return video.status === wanted ? video : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );

  beforeAll(async () => {
    stack = await mode.start();
    base = stack.baseUrl;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // Up to 5 min: the whole CMAF ladder (five rungs, storyboard, thumbnails) on 2 cores shared with other suites.
  it('uploads in 3 tus chunks, answers before transcoding, and reaches ready', async () => {
    const upload = await tusUpload(clip, {
      endpoint: `${base}/uploads/`,
      apiKey,
      chunks: 3,
      title: `e2e ${mode.name}`,
    });
    videoId = upload.videoId;
    const right = await getVideo(videoId);
    expect(['uploaded', 'processing']).toContain(right.status);
    await waitForStatus(videoId, 'ready', 240_000);
    const seconds = (Date.now() - upload.completedAt) / 1000;
    fs.appendFileSync(
      path.join(ARTIFACTS, 'timings.txt'),
      `${mode.name}: upload complete → ready ${seconds.toFixed(1)} s\n`,
    );
  }, 300_000);

  it('refuses the master playlist and a segment without, with a tampered and with an expired token', async () => {
    const playback = (await (
      await fetch(`${base}/api/v1/videos/${videoId}/playback`)
    ).json()) as PlaybackResponse;
    const master = new URL(playback.manifestUrl, base);
    const masterRes = await fetch(master);
    expect(masterRes.status).toBe(200);
    const variantUri = (await masterRes.text())
      .split('\n')
      .find((l) => l.trim() !== '' && !l.startsWith('#'));
    const variant = new URL(variantUri ?? '', master);
    const segmentUri = (await (await fetch(variant)).text())
      .split('\n')
      .find((l) => l.trim() !== '' && !l.startsWith('#'));
    const segment = new URL(segmentUri ?? '', variant);
    expect((await fetch(segment)).status).toBe(200);

    const token = master.searchParams.get('token') ?? '';
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const expired = createPlaybackToken(
      { videoId, expiresAt: new Date(Date.now() - 60_000) },
      SHARED_SECRETS.STREAMLOOP_SIGNING_SECRET,
    );
    for (const url of [master, segment]) {
      for (const value of [undefined, tampered, expired]) {
        const target = new URL(url);
        if (value === undefined) target.searchParams.delete('token');
        else target.searchParams.set('token', value);
        const res = await fetch(target);
        expect({
          url: target.pathname,
          token: value === undefined ? 'none' : value === expired ? 'expired' : 'tampered',
          status: res.status,
        }).toEqual({
          url: target.pathname,
          token: value === undefined ? 'none' : value === expired ? 'expired' : 'tampered',
          status: 403,
        });
      }
    }
  });

  it('serves the DASH MPD named by dashUrl, and a JPEG still per time from thumbnail.jpg?time=', async () => {
    const playback = (await (
      await fetch(`${base}/api/v1/videos/${videoId}/playback`)
    ).json()) as PlaybackResponse;
    expect(playback.dashUrl, 'a dashUrl for a clear (unencrypted) ladder').toBeDefined();
    const mpd = await fetch(new URL(playback.dashUrl!, base));
    expect(mpd.status).toBe(200);
    expect(mpd.headers.get('content-type')).toContain('application/dash+xml');
    const manifest = await mpd.text();
    expect(manifest).toContain('<MPD');
    // The 1080p source gets the whole ladder: five video representations and the shared audio.
    expect(manifest.match(/<Representation /g)?.length).toBe(6);

    const token = new URL(playback.manifestUrl, base).searchParams.get('token') ?? '';
    const stillAt = async (time: number) => {
      const url = new URL(`${mediaUrlPath(videoId, 'thumbnail.jpg')}?time=${time}&token=${token}`, base);
      const redirect = await fetch(url, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const image = await fetch(new URL(redirect.headers.get('location') ?? '', url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/jpeg');
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      return bytes;
    };
    // The test pattern moves: stills 10 s apart differ (a poster for every time would not).
    const [early, late] = [await stillAt(1), await stillAt(11)];
    expect(early.equals(late)).toBe(false);
  });

  it('plays ≥ 10 s on the watch page, and the QoE API and dashboard show exactly one play', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/watch/${videoId}`);
    await page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) >= 10, undefined, {
      timeout: 90_000,
      polling: 250,
    });
    await page.close({ runBeforeUnload: true });

    const overview = await eventually(
      'the play to reach the QoE API',
      async () => {
        const res = await fetch(`${base}/api/v1/qoe/overview?videoId=${videoId}`, { headers: auth });
        const body = (await res.json()) as {
          plays: number;
          startupTimeMs: { p50: number | null; p95: number | null };
        };
        return body.plays >= 1 && body.startupTimeMs?.p50 !== null ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(overview.plays).toBe(1);
    expect(overview.startupTimeMs.p50).toBeGreaterThan(0);
    expect(overview.startupTimeMs.p50).toBeLessThan(5000);

    const dashboard = await browser.newPage();
    await dashboard.goto(`${base}/dashboards/?videoId=${videoId}`);
    await dashboard.fill('#api-key', apiKey);
    await dashboard.click('#key-save');
    await dashboard.waitForSelector('#status[data-state="ready"]', { timeout: 30_000 });
    expect(await dashboard.getAttribute('[data-metric="plays"]', 'data-value')).toBe('1');
    const slug = mode.name.split(' ')[0];
    await dashboard.screenshot({ path: path.join(ARTIFACTS, `dashboard-${slug}.png`), fullPage: true });
    await dashboard.close();
  });

  it('fails random bytes named .mp4 with a reason, without retrying', async () => {
    const upload = await tusUpload(junk, {
      endpoint: `${base}/uploads/`,
      apiKey,
      chunks: 1,
      title: 'not a video',
    });
    const failed = await waitForStatus(upload.videoId, 'failed', 60_000);
    expect(failed.error).toMatch(/not a playable video/);
    // A later good job still goes through: nothing is stuck retrying the bad one.
    const again = await tusUpload(small, {
      endpoint: `${base}/uploads/`,
      apiKey,
      chunks: 1,
      title: 'after junk',
    });
    await waitForStatus(again.videoId, 'ready', 120_000);
    expect((await getVideo(upload.videoId)).status).toBe('failed');
  });
});
