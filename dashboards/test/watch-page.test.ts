/**
 * `/watch/:id`: the page and its two assets through `app.inject()`, then the real page in Debian's
 * Chromium with the real player-sdk build. The playback API, catalog, origin and collector are small
 * fixture routes here (they belong to other services, which this package must not start).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { CHROMIUM_ARGS, CHROMIUM_PATH, eventually } from '@streamloop/core/testing';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerSdkRoutes } from '../src/sdk-routes.js';
import { inlineJson, registerWatchPage, type WatchPageDeps } from '../src/watch-page.js';

const logger = createLogger({ name: 'watch-page-test', level: 'silent' });
const VIDEO_ID = 'watchtest_0001';

function buildApp(deps: Partial<WatchPageDeps> & { sdkDir?: string } = {}): FastifyInstance {
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  registerSdkRoutes(app, deps);
  registerWatchPage(app, { collectorUrl: '/v1/beacons', ...deps });
  return app;
}

/** The inline scripts of a page, and the nonce each carries. */
function scriptsOf(html: string): { nonce: string | undefined; src: string | undefined; body: string }[] {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map(([, attributes = '', body = '']) => ({
    nonce: /nonce="([^"]+)"/.exec(attributes)?.[1],
    src: /src="([^"]+)"/.exec(attributes)?.[1],
    body,
  }));
}

describe('watch page over app.inject()', () => {
  let sdkDir: string;
  let app: FastifyInstance | undefined;

  beforeAll(async () => {
    sdkDir = await mkdtemp(path.join(tmpdir(), 'watch-page-sdk-'));
    await writeFile(path.join(sdkDir, 'streamloop-player.min.js'), 'var StreamloopPlayer={};');
    await writeFile(path.join(sdkDir, 'video-js.min.css'), '.video-js{}');
    await writeFile(path.join(sdkDir, 'index.js'), 'export {};');
  });
  afterEach(async () => {
    await app?.close();
  });
  afterAll(async () => {
    await rm(sdkDir, { recursive: true, force: true });
  });

  it('serves a player page for the video under a per-response nonce policy', async () => {
    app = buildApp({ sdkDir });
    const first = await app.inject(`/watch/${VIDEO_ID}`);
    const second = await app.inject(`/watch/${VIDEO_ID}`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.headers['cache-control']).toBe('no-store');

    const policy = String(first.headers['content-security-policy']);
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    expect(String(second.headers['content-security-policy'])).not.toContain(nonce);

    const scripts = scriptsOf(first.body);
    expect(scripts.every((s) => s.nonce === nonce)).toBe(true);
    expect(scripts.map((s) => s.src).filter(Boolean)).toEqual(['/sdk/v0/streamloop-player.min.js']);
    expect(first.body).toContain('href="/sdk/v0/streamloop-player.min.css"');
    // A CMS given the watch URL finds the iframe embed through oEmbed discovery.
    expect(first.body).toContain(
      `<link rel="alternate" type="application/json+oembed" href="http://localhost/oembed?format=json&#38;url=${encodeURIComponent(`http://localhost/watch/${VIDEO_ID}`)}"`,
    );
    expect(first.body).toContain(inlineJson({ videoId: VIDEO_ID, apiBase: '', collectorUrl: '/v1/beacons' }));
    expect(first.body).toContain("autoplay: 'muted'");
    // The stats overlay is there, closed, with the button that opens it.
    expect(first.body).toContain('<aside id="stats" aria-label="Stats for nerds" hidden>');
    expect(first.body).toContain('id="stats-toggle"');
    // The Up next row is there, hidden until the recommendations API has titles for it.
    expect(first.body).toContain('<section id="up-next" aria-labelledby="up-next-heading" hidden>');
    // The recommendations API is on this origin unless apiBase says otherwise: 'self' allows it.
    expect(policy).toContain("connect-src 'self';");
  });

  it.each([
    ['co-watch', 'co-watch'],
    ['popular', 'popular'],
    ['trending', undefined],
    [encodeURIComponent('"></script><script>alert(1)</script>'), undefined],
    ['', undefined],
  ])('passes ?from=%s on to the view as recommendationReason %s', async (from, reason) => {
    app = buildApp({ sdkDir });
    const { body } = await app.inject(`/watch/${VIDEO_ID}?from=${from}`);
    const config = scriptsOf(body).find((s) => s.body.includes('var config'))?.body ?? '';
    const literal = /var config = (\{.*\});/.exec(config)?.[1] ?? '';
    expect((JSON.parse(literal) as { recommendationReason?: string }).recommendationReason).toBe(reason);
    expect(config).toContain('recommendationReason: config.recommendationReason');
    expect(body).not.toContain('<script>alert(1)');
  });

  it('ignores a repeated ?from (not one reason)', async () => {
    app = buildApp({ sdkDir });
    const { body } = await app.inject(`/watch/${VIDEO_ID}?from=co-watch&from=popular`);
    expect(body).toContain(inlineJson({ videoId: VIDEO_ID, apiBase: '', collectorUrl: '/v1/beacons' }));
  });

  it.each([
    ['too short', 'abc1234'],
    ['too long', 'a'.repeat(65)],
    ['markup', encodeURIComponent('<script>alert(1)</script>')],
    ['a quote', encodeURIComponent('abcdefgh"onload=x')],
    ['a dot', 'abcdefgh.js'],
  ])('answers 404 and reflects nothing for an id with %s', async (_name, id) => {
    app = buildApp({ sdkDir });
    const response = await app.inject(`/watch/${id}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: 'no such video' } });
  });

  it('keeps configured URLs from breaking out of the inline script', async () => {
    const hostile = 'https://c.example/</script><script>alert(1)</script>\u2028';
    app = buildApp({ sdkDir, collectorUrl: hostile });
    const { body } = await app.inject(`/watch/${VIDEO_ID}`);
    expect(body).not.toContain('</script><script>alert(1)');
    const config = scriptsOf(body).find((s) => s.body.includes('var config'))?.body ?? '';
    const literal = /var config = (\{.*\});/.exec(config)?.[1] ?? '';
    expect((JSON.parse(literal) as { collectorUrl: string }).collectorUrl).toBe(hostile);
  });

  it('allows connections to the API, collector and media origins it is configured with, and no others', async () => {
    app = buildApp({
      sdkDir,
      apiBase: 'https://api.example/',
      collectorUrl: 'https://beacons.example/v1/beacons',
      mediaOrigins: ['https://cdn.example'],
    });
    const policy = String((await app.inject(`/watch/${VIDEO_ID}`)).headers['content-security-policy']);
    expect(policy).toContain(
      "connect-src 'self' https://api.example https://beacons.example https://cdn.example;",
    );
    expect(policy).toContain("media-src 'self' blob: https://cdn.example;");
  });
});

describe('watch page in Chromium (Debian /usr/bin/chromium) with the player-sdk build', () => {
  let hlsDir: string;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  const beacons: {
    event: string;
    startupTimeMs?: number;
    videoId: string;
    recommendedVideoId?: string;
    recommendationReason?: string;
    recommendationPosition?: number;
  }[] = [];
  const recommendationQueries: Record<string, string>[] = [];

  beforeAll(async () => {
    hlsDir = await mkdtemp(path.join(tmpdir(), 'watch-page-hls-'));
    // biome-ignore format: one ffmpeg option per line reads better
    await promisify(execFile)('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
      '-f', 'lavfi', '-i', 'sine',
      '-t', '8',
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac',
      '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-master_pl_name', 'master.m3u8',
      path.join(hlsDir, 'index.m3u8'),
    ]);

    app = buildApp();
    // Fixtures for the neighbours the page talks to: playback API, catalog, origin, collector.
    app.get<{ Params: { id: string } }>(
      '/api/v1/videos/:id/playback',
      async (request): Promise<PlaybackResponse> => ({
        manifestUrl: `/media/${request.params.id}/master.m3u8`,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        variant: null,
      }),
    );
    app.get('/api/v1/videos/:id', async () => ({ title: 'Test <b>pattern</b> clip' }));
    app.get<{ Querystring: Record<string, string> }>('/api/v1/recommendations', async (request) => {
      recommendationQueries.push(request.query);
      return {
        viewerId: request.query.viewerId ?? null,
        videoId: request.query.videoId ?? null,
        featureVersions: { title: 1, viewer: null },
        items: [
          {
            videoId: 'watchtest_0002',
            title: 'Next <i>one</i>',
            score: 0.5,
            reason: 'popular',
            because: null,
            predicted: { startupMs: 640, stallRisk: 0.01, lowestRungKbps: 300, fits: true },
          },
        ],
      };
    });
    app.get<{ Params: { file: string } }>('/media/:id/:file', async (request, reply) => {
      const file = path.basename(request.params.file);
      const type = file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
      return reply.header('content-type', type).send(await readFile(path.join(hlsDir, file)));
    });
    app.post('/v1/beacons', async (request, reply) => {
      beacons.push(...(JSON.parse(String(request.body)) as typeof beacons));
      return reply.code(202).send({ accepted: 0 });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await rm(hlsDir, { recursive: true, force: true });
  });

  it('plays the video muted on its own, shows its title as text, and breaks no policy rule', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    // Scripts run in the page (strings: this package's types have no DOM).
    await page.addInitScript(
      `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
    );

    await page.goto(`${base}/watch/${VIDEO_ID}`);
    await eventually('the video to play', async () =>
      (await page.evaluate(`document.querySelector('video').currentTime > 0.5`)) ? true : undefined,
    );
    expect(await page.textContent('#title')).toBe('Test <b>pattern</b> clip');
    expect(await page.evaluate(`document.querySelector('video').muted`)).toBe(true);
    // 16:9 at the page's width: the player is sized without the <style> video.js may not inject.
    const box = (await page.locator('#player').boundingBox()) ?? { width: 0, height: 0 };
    expect(box.height).toBeGreaterThan(100);
    expect(Math.round((box.width / box.height) * 9)).toBe(16);

    // Stats for nerds: the SDK's live numbers, as text, once the viewer opens the overlay.
    expect(await page.isVisible('#stats')).toBe(false);
    await page.click('#stats-toggle');
    expect(await page.isVisible('#stats')).toBe(true);
    expect(await page.textContent('[data-stat="state"]')).toBe('playing');
    expect(await page.textContent('[data-stat="startupTimeMs"]')).toMatch(/^\d+ ms$/);
    expect(await page.textContent('[data-stat="rendition"]')).toMatch(/^640×360 @ \d+ kbit\/s/);
    expect(await page.textContent('[data-stat="cmcd"]')).toMatch(/sid="[0-9a-f]{32}"/);
    await page.click('#stats-toggle');
    expect(await page.isVisible('#stats')).toBe(false);

    // Up next: the fixture's one title, as text, why it is there and its predicted start-up.
    await page.locator('#up-next').waitFor({ state: 'visible' });
    expect(await page.locator('#up-next li').allInnerTexts()).toEqual([
      'Next <i>one</i>\nPopular now\nStarts in about 0.6 s',
    ]);
    expect(await page.getAttribute('#up-next a', 'href')).toBe('/watch/watchtest_0002?from=popular');
    const viewerId = await page.evaluate('window.streamloop.monitor.viewerId');
    expect(recommendationQueries).toEqual([{ limit: '8', viewerId, videoId: VIDEO_ID }]);

    await page.close();
    await eventually('a viewend beacon after the page closed', () =>
      beacons.some((b) => b.event === 'viewend') ? true : undefined,
    );
    const firstFrame = beacons.find((b) => b.event === 'firstframe');
    expect(firstFrame?.videoId).toBe(VIDEO_ID);
    expect(firstFrame?.startupTimeMs).toBeGreaterThan(0);
    expect(
      beacons
        .filter((b) => b.event === 'recommendationimpression')
        .map((b) => [b.videoId, b.recommendedVideoId, b.recommendationReason, b.recommendationPosition]),
    ).toEqual([[VIDEO_ID, 'watchtest_0002', 'popular', 0]]);
    expect(problems).toEqual([]);
  });
});
