/**
 * What the real-browser test needs: an HLS clip made with ffmpeg, a loopback HTTP server that serves
 * a page, the built SDK, the clip and a collector route, and Debian's Chromium (never downloaded).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import { type Browser, chromium } from 'playwright-core';

export const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

export function assertBundleBuilt(): void {
  const bundle = path.join(DIST_DIR, 'streamloop-player.min.js');
  if (!existsSync(bundle)) {
    throw new Error(`${bundle} is missing; build the SDK first: cd player-sdk && npm run build`);
  }
}

/** An 8 s 640x360 H.264/AAC HLS clip in 2 s segments, with a master playlist (so VHS sees a rendition). */
export async function makeHlsClip(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'player-sdk-hls-'));
  // biome-ignore format: one ffmpeg option per line reads better
  await promisify(execFile)('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine',
    '-t', '8',
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac',
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-master_pl_name', 'master.m3u8',
    path.join(dir, 'index.m3u8'),
  ]);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A 3-rung HLS ladder of an 8 s clip in 2 s segments, rungs of clearly different bitrates (CBR
 * 150 / 600 / 2 400 kbit/s video at 180p / 270p / 360p, 64 kbit/s audio each), every file flat in
 * one folder: `master.m3u8`, `r<rung>.m3u8`, `r<rung>_<n>.ts` (rung 0 the lowest).
 */
export async function makeHlsLadder(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'player-sdk-ladder-'));
  // biome-ignore format: one ffmpeg option per line reads better
  await promisify(execFile)('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine',
    '-t', '8',
    '-filter_complex', '[0:v]split=3[a][b][c];[a]scale=320:180[v0];[b]scale=480:270[v1];[c]null[v2]',
    '-map', '[v0]', '-map', '1:a', '-map', '[v1]', '-map', '1:a', '-map', '[v2]', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-pix_fmt', 'yuv420p',
    '-b:v:0', '150k', '-maxrate:v:0', '150k', '-bufsize:v:0', '300k',
    '-b:v:1', '600k', '-maxrate:v:1', '600k', '-bufsize:v:1', '1200k',
    '-b:v:2', '2400k', '-maxrate:v:2', '2400k', '-bufsize:v:2', '4800k',
    // Padded CBR: the rungs' BANDWIDTH stay far apart whatever the test pattern compresses to.
    '-x264-params', 'nal-hrd=cbr',
    '-c:a', 'aac', '-b:a', '64k',
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', 'v:0,a:0 v:1,a:1 v:2,a:2',
    '-hls_segment_filename', path.join(dir, 'r%v_%03d.ts'),
    path.join(dir, 'r%v.m3u8'),
  ]);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A page as the README's script-tag example writes it: the bundle and stylesheet from `/sdk/`, one
 * `<video id="player">`, and `window.streamloop = createPlayer('player', options)` (options as JSON).
 */
export function scriptTagPage(options: Record<string, unknown>): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="/sdk/video-js.min.css"></head>
<body>
<video id="player" class="video-js" width="640" height="360" playsinline></video>
<script src="/sdk/streamloop-player.min.js"></script>
<script>
  window.streamloop = StreamloopPlayer.createPlayer('player', ${JSON.stringify(options)});
</script>
</body></html>`;
}

export interface ReceivedRequest {
  contentType: string;
  beacons: Beacon[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
};

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves `/` (the page), `/sdk/*` (dist), `/hls/*` (the clip) and `POST /v1/beacons` (recorded).
 * With `playback`, also `GET /api/v1/videos/<id>/playback`, answering that body (a stand-in for
 * delivery's answer, whose fields delivery's own tests pin); the URLs asked are in `playbackAsked`.
 */
export async function startPageServer(options: {
  page: string;
  hlsDir: string;
  playback?: unknown;
}): Promise<{
  url: string;
  received: ReceivedRequest[];
  playbackAsked: string[];
  close(): Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  const playbackAsked: string[] = [];
  const roots: Record<string, string> = { sdk: DIST_DIR, hls: options.hlsDir };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const { pathname } = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (request.method === 'POST' && pathname === '/v1/beacons') {
        const body = await readBody(request);
        received.push({
          contentType: request.headers['content-type'] ?? '',
          beacons: JSON.parse(body) as Beacon[],
        });
        response.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":0}');
        return;
      }
      if (options.playback !== undefined && /^\/api\/v1\/videos\/[^/]+\/playback$/.test(pathname)) {
        playbackAsked.push(request.url ?? '');
        response
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(options.playback));
        return;
      }
      if (pathname === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(options.page);
        return;
      }
      const [, root, file] = /^\/(sdk|hls)\/([\w.-]+)$/.exec(pathname) ?? [];
      if (root === undefined || file === undefined) {
        response.writeHead(404).end();
        return;
      }
      try {
        const content = await readFile(path.join(roots[root] as string, file));
        const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
        response.writeHead(200, { 'content-type': type }).end(content);
      } catch {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    received,
    playbackAsked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Debian's Chromium, headless; flags from FACTS.md. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}
