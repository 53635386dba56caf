/**
 * `/sdk/`: the SDK files a customer's site links, over `app.inject()` with a small fake build (the real
 * build is checked once at the end against its own manifest).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  playerSdkDistDir,
  readSdkManifest,
  registerSdkRoutes,
  type SdkManifest,
  sdkMajorVersion,
} from '../src/sdk-routes.js';

const logger = createLogger({ name: 'sdk-routes-test', level: 'silent' });
const JS_HASHED = 'streamloop-player.0123456789abcdef.min.js';
const CSS_HASHED = 'streamloop-player.fedcba9876543210.min.css';

function buildApp(sdkDir?: string): FastifyInstance {
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  registerSdkRoutes(app, { sdkDir });
  return app;
}

describe('SDK files over app.inject()', () => {
  let sdkDir: string;
  let app: FastifyInstance | undefined;
  const major = sdkMajorVersion();

  beforeAll(async () => {
    sdkDir = await mkdtemp(path.join(tmpdir(), 'sdk-routes-'));
    await writeFile(path.join(sdkDir, 'streamloop-player.min.js'), 'var StreamloopPlayer={};');
    await writeFile(path.join(sdkDir, 'video-js.min.css'), '.video-js{}');
    await writeFile(path.join(sdkDir, JS_HASHED), 'var StreamloopPlayer={v:1};');
    await writeFile(path.join(sdkDir, CSS_HASHED), '.video-js{v:1}');
    // A hashed file of an earlier build, still on disk but no longer in the manifest.
    await writeFile(path.join(sdkDir, 'streamloop-player.1111111111111111.min.js'), 'old');
    await writeFile(path.join(sdkDir, 'index.js'), 'export {};');
    const manifest: SdkManifest = {
      version: `${major}.1.0`,
      major,
      script: { source: 'streamloop-player.min.js', file: JS_HASHED, integrity: 'sha384-x' },
      stylesheet: { source: 'video-js.min.css', file: CSS_HASHED, integrity: 'sha384-y' },
    };
    await writeFile(path.join(sdkDir, 'sdk-manifest.json'), JSON.stringify(manifest));
  });
  afterEach(async () => {
    await app?.close();
  });
  afterAll(async () => {
    await rm(sdkDir, { recursive: true, force: true });
  });

  it.each([
    [`/sdk/v${major}/streamloop-player.min.js`, 'text/javascript; charset=utf-8', 'var StreamloopPlayer={};'],
    [`/sdk/v${major}/streamloop-player.min.css`, 'text/css; charset=utf-8', '.video-js{}'],
  ])(
    'serves %s to any site, cached 5 minutes so a patch release arrives',
    async (url, contentType, content) => {
      app = buildApp(sdkDir);
      const response = await app.inject({ url, headers: { origin: 'https://customer.example' } });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(content);
      expect(response.headers).toMatchObject({
        'content-type': contentType,
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
        'cross-origin-resource-policy': 'cross-origin',
        'x-content-type-options': 'nosniff',
      });
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      const again = await app.inject({ url, headers: { 'if-none-match': String(response.headers.etag) } });
      expect(again.statusCode).toBe(304);
    },
  );

  it.each([
    [JS_HASHED, 'text/javascript; charset=utf-8', 'var StreamloopPlayer={v:1};'],
    [CSS_HASHED, 'text/css; charset=utf-8', '.video-js{v:1}'],
  ])('serves the content-hashed /sdk/%s as immutable for a year', async (file, contentType, content) => {
    app = buildApp(sdkDir);
    const response = await app.inject(`/sdk/${file}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(content);
    expect(response.headers).toMatchObject({
      'content-type': contentType,
      'cache-control': 'public, max-age=31536000, immutable',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    });
  });

  it.each([
    `/sdk/v${major + 1}/streamloop-player.min.js`,
    `/sdk/v${major}/video-js.min.css`,
    `/sdk/v${major}/index.js`,
    `/sdk/v${major}/..%2Fpackage.json`,
    '/sdk/streamloop-player.1111111111111111.min.js',
    '/sdk/streamloop-player.min.js',
    '/sdk/sdk-manifest.json',
    '/sdk/index.js',
    '/sdk/__proto__',
  ])('serves nothing else: %s is a 404', async (url) => {
    app = buildApp(sdkDir);
    const response = await app.inject(url);
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('ERR_NOT_FOUND');
  });

  it('says the SDK is not built when its bundle is missing', async () => {
    app = buildApp(path.join(sdkDir, 'missing'));
    const response = await app.inject(`/sdk/v${major}/streamloop-player.min.js`);
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toContain('npm run build');
  });
});

describe('the real player-sdk build', () => {
  it('is found through the package, and its manifest names files whose SRI hashes match', async () => {
    const dist = playerSdkDistDir();
    expect(dist).toMatch(/player-sdk[/\\]dist$/);
    const manifest = await readSdkManifest(dist);
    expect(manifest?.major).toBe(sdkMajorVersion());
    for (const entry of [manifest?.script, manifest?.stylesheet]) {
      const code = await readFile(path.join(dist, entry?.file ?? 'missing'));
      expect(entry?.integrity).toBe(`sha384-${createHash('sha384').update(code).digest('base64')}`);
      // The hashed copy is the same build as the stable URL's file.
      expect(code.equals(await readFile(path.join(dist, entry?.source ?? 'missing')))).toBe(true);
    }
  });
});
