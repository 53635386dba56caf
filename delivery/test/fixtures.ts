/**
 * The real embedded adapters (PGlite catalog, local-folder object store) with videos and media put
 * in by hand, and the delivery routes mounted on the same HTTP app every process starts from.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { insertVideo, type NewVideo, type VideoRecord } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import { MASTER_PLAYLIST, mediaKey } from '@streamloop/core/object-layout';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { createLocalObjectStore } from '@streamloop/object-store/local-object-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { type DeliveryDeps, mountDelivery } from '../src/mount-delivery.js';
import { createPlaybackToken } from '../src/playback-token.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const API_KEY = 'test-api-key-0123456789';

export interface Fixture {
  catalog: Catalog;
  objectStore: ObjectStore;
  close(): Promise<void>;
}

export async function openFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-delivery-'));
  const catalog = await createPgliteCatalog({ dataDir: path.join(dir, 'catalog') });
  await catalog.migrate();
  const objectStore = await createLocalObjectStore({ root: path.join(dir, 'objects') });
  return {
    catalog,
    objectStore,
    async close() {
      await catalog.close();
      await objectStore.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function buildDeliveryApp(
  fixture: Fixture,
  overrides: Partial<DeliveryDeps> = {},
): Promise<{ app: FastifyInstance; registry: Registry }> {
  const logger = createLogger({ name: 'delivery-test', level: 'silent' });
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const app = buildHttpApp({ logger, registry, ports: [fixture.catalog, fixture.objectStore] });
  mountDelivery(app, {
    catalog: fixture.catalog,
    objectStore: fixture.objectStore,
    signingSecret: SIGNING_SECRET,
    apiKey: API_KEY,
    logger,
    registry,
    ...overrides,
  });
  await app.ready();
  return { app, registry };
}

export function addVideo(fixture: Fixture, overrides: Partial<NewVideo> = {}): Promise<VideoRecord> {
  return insertVideo(fixture.catalog, {
    title: 'Fixture clip',
    status: 'ready',
    playbackPolicy: 'public',
    ...overrides,
  });
}

export function tokenFor(
  videoId: string,
  options: { expiresInS?: number; secret?: string; variant?: string } = {},
): string {
  const expiresAt = new Date(Date.now() + (options.expiresInS ?? 3600) * 1000);
  return createPlaybackToken(
    { videoId, expiresAt, ...(options.variant === undefined ? {} : { variant: options.variant }) },
    options.secret ?? SIGNING_SECRET,
  );
}

export interface Ladder {
  /** Bytes of every object written, by path below the video. */
  files: Map<string, Buffer>;
}

/**
 * The catalog's record for putLadder's files, for tests of the origin and the edge (whose subject
 * is serving objects, not the record); the playback and thumbnail tests use transcode's real one.
 */
export const HANDWRITTEN_LADDER_RECORD: LadderRecord = {
  ladderId: 'handwritten',
  ladderVersion: 1,
  master: MASTER_PLAYLIST,
  poster: 'thumbs/poster.jpg',
  storyboard: 'storyboard.vtt',
  frameRate: 30,
  renditions: [
    {
      name: '720p',
      codec: 'h264',
      profile: 'high',
      videoBitrateKbps: 2200,
      maxrateKbps: 2400,
      bufsizeKbps: 3300,
      width: 1280,
      height: 720,
      shortSide: 720,
      codecs: 'avc1.64001f',
      peakBitrate: 2_500_000,
      averageBitrate: 2_200_000,
      playlist: '720p/index.m3u8',
      iframePlaylist: '720p/iframes.m3u8',
    },
  ],
};

/**
 * A small handwritten HLS ladder like the transcoder's output: a master with a subtitle group, a
 * TS rendition, an fMP4 rendition with an init section, an I-frame playlist and a thumbnail.
 */
export async function putLadder(store: ObjectStore, videoId: string): Promise<Ladder> {
  const files = new Map<string, Buffer>();
  const put = async (relative: string, body: Buffer | string) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    files.set(relative, bytes);
    await store.put(mediaKey(videoId, relative), bytes);
  };
  await put(
    'master.m3u8',
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,URI="subs/en.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",SUBTITLES="subs"',
      '720p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",SUBTITLES="subs"',
      '360p/index.m3u8',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=200000,RESOLUTION=1280x720,URI="720p/iframes.m3u8"',
      '',
    ].join('\n'),
  );
  await put(
    '720p/index.m3u8',
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:2.000,',
      'seg_00001.m4s',
      '#EXTINF:2.000,',
      'seg_00002.m4s',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n'),
  );
  await put(
    '720p/iframes.m3u8',
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-I-FRAMES-ONLY',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:2.000,',
      '#EXT-X-BYTERANGE:1000@0',
      'seg_00001.m4s',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n'),
  );
  await put(
    '360p/index.m3u8',
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:2',
      '#EXTINF:2.000,',
      'seg_00001.ts',
      '#EXTINF:2.000,',
      'seg_00002.ts',
      '#EXT-X-ENDLIST',
      '',
    ].join('\r\n'),
  );
  await put(
    'subs/en.m3u8',
    ['#EXTM3U', '#EXT-X-TARGETDURATION:4', '#EXTINF:4.000,', 'en_00001.vtt', '#EXT-X-ENDLIST', ''].join('\n'),
  );
  await put('subs/en_00001.vtt', 'WEBVTT\n\n00:00.000 --> 00:02.000\nhello\n');
  await put('720p/init.mp4', randomBytes(1_500));
  await put('720p/seg_00001.m4s', randomBytes(150_000));
  await put('720p/seg_00002.m4s', randomBytes(150_000));
  await put('360p/seg_00001.ts', randomBytes(70_000));
  await put('360p/seg_00002.ts', randomBytes(70_000));
  await put('thumbs/poster.jpg', randomBytes(5_000));
  return { files };
}

/** Child URIs of an HLS playlist: URI lines and URI="..." attributes of tags. */
export function childUris(playlist: string): string[] {
  const uris: string[] = [];
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      for (const match of line.matchAll(/URI="([^"]*)"/g)) uris.push(match[1]!);
    } else {
      uris.push(line);
    }
  }
  return uris;
}

/** A GET whose path goes out byte for byte (fetch and inject would normalise the dot segments away). */
export function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
