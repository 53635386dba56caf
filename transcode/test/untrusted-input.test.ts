/**
 * Hostile and broken uploads through the worker with real ffprobe/ffmpeg (embedded adapters): each
 * is refused at the probe with a reason the uploader can read, nothing it names is opened, nothing
 * is encoded and nothing is published.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { getVideo } from '@streamloop/catalog/video-repository';
import { mediaPrefix, SOURCES_FOLDER } from '@streamloop/core/object-layout';
import { eventually } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, metricValue, run, startTranscodeFixture, type TranscodeFixture } from './helpers.js';

const NOT_A_CONTAINER = 'not a playable video: its format is not an accepted video container';
const tooLarge = (size: number) => `not a playable video: ${size}x${size} is larger than 4096x4096`;

/** A 320x256 two-frame raw-video Matroska file whose header then claims `size`×`size`. */
async function oversizedMatroska(dir: string, size: number): Promise<Buffer> {
  const file = path.join(dir, 'small.mkv');
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x256:rate=30', '-frames:v', '2'],
    ...['-c:v', 'rawvideo', '-pix_fmt', 'yuv420p', file],
  ]);
  const bytes = await readFile(file);
  // EBML PixelWidth (0xB0) and PixelHeight (0xBA), each a 2-byte unsigned integer here.
  for (const [id, value] of [
    [0xb0, 320],
    [0xba, 256],
  ] as const) {
    const at = bytes.indexOf(Buffer.from([id, 0x82, value >> 8, value & 0xff]));
    expect(at, `element 0x${id.toString(16)} in the Matroska header`).toBeGreaterThan(0);
    bytes.writeUInt16BE(size, at + 2);
  }
  return bytes;
}

/** A 16x16 PNG whose IHDR then claims 16000x16000 (CRC fixed up, so only the size lies). */
async function oversizedPng(dir: string): Promise<Buffer> {
  const file = path.join(dir, 'small.png');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=size=16x16', '-frames:v', '1', file]);
  const bytes = await readFile(file);
  bytes.writeUInt32BE(16000, 16);
  bytes.writeUInt32BE(16000, 20);
  bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
  return bytes;
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('untrusted uploads are refused at the probe', () => {
  let fixture: TranscodeFixture;
  let listener: Server;
  let connections = 0;
  let listenerUrl: string;
  /** A real clip of "another video" on the worker's disk, next to the folders of attempts. */
  let foreignRelative: string;
  let foreignBytes: Buffer;

  beforeAll(async () => {
    fixture = await startTranscodeFixture({ maxAttempts: 1 });
    listener = createServer((_req, res) => res.end('#EXTM3U\n'));
    listener.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    // The source lands in <workDir>/<videoId>/<attemptId>/source: two levels up is workDir.
    const foreignDir = path.join(fixture.dir, 'work', 'another-video');
    await mkdir(foreignDir, { recursive: true });
    foreignBytes = await makeClip(path.join(foreignDir, 'seg_000.ts'), {
      seconds: 2,
      size: '320x240',
      format: 'mpegts',
    });
    foreignRelative = '../../another-video/seg_000.ts';
  });
  afterAll(async () => {
    await fixture.teardown();
    await new Promise((resolve) => listener.close(resolve));
  });

  const hls = (...uris: string[]) =>
    `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n${uris.map((u) => `#EXTINF:2.0,\n${u}\n`).join('')}#EXT-X-ENDLIST\n`;
  const ffconcat = (...uris: string[]) =>
    `ffconcat version 1.0\n${uris.map((u) => `file '${u}'\n`).join('')}`;

  it('refuses HLS playlists and ffconcat lists naming local files, another video, or a URL, opening none', async () => {
    const cases: [string, string][] = [
      ['HLS naming file:///etc/passwd', hls('file:///etc/passwd')],
      ['HLS naming a relative .ts of another video', hls(foreignRelative)],
      ['HLS naming an http URL', hls(`${listenerUrl}/seg.ts`)],
      ['ffconcat naming /etc/passwd', ffconcat('/etc/passwd')],
      ['ffconcat naming a relative .ts of another video', ffconcat(foreignRelative)],
      ['ffconcat naming an http URL', ffconcat(`${listenerUrl}/seg.ts`)],
      [
        'HLS with a nested http playlist',
        `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n${listenerUrl}/index.m3u8\n`,
      ],
    ];
    const jobs = [];
    for (const [name, text] of cases) jobs.push({ name, job: await fixture.submit(Buffer.from(text)) });

    for (const { name, job } of jobs) {
      const video = await settled(fixture, job.videoId);
      expect({ name, status: video.status, error: video.error }).toEqual({
        name,
        status: 'failed',
        error: NOT_A_CONTAINER,
      });
      expect(await publishedKeys(fixture, job.videoId), name).toEqual([]);
    }
    expect(connections).toBe(0);
    expect(await encodes(fixture)).toBe(0);
    // The other video's clip is still only where it was: no copy of its bytes anywhere in the store.
    for await (const object of fixture.objectStore.list('')) {
      if (object.key.startsWith(SOURCES_FOLDER)) continue;
      expect((await fixture.objectStore.getBuffer(object.key))?.equals(foreignBytes), object.key).toBe(false);
    }
  });

  it.each([
    [
      'random bytes',
      () => Promise.resolve(Buffer.from(Array.from({ length: 32 * 1024 }, (_, i) => (i * 131 + 7) % 256))),
      /^not a playable video: the file cannot be read as media/,
    ],
    ['a PNG declaring 16000x16000', () => oversizedPng(fixture.dir), NOT_A_CONTAINER],
    ['a Matroska file declaring 16000x16000', () => oversizedMatroska(fixture.dir, 16000), tooLarge(16000)],
    ['a Matroska file declaring 30000x30000', () => oversizedMatroska(fixture.dir, 30000), tooLarge(30000)],
    [
      'an audio-only file',
      async () => {
        const file = path.join(fixture.dir, 'tone.m4a');
        await run('ffmpeg', [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          'sine=duration=2',
          '-c:a',
          'aac',
          file,
        ]);
        return readFile(file);
      },
      'not a playable video: it has no video stream',
    ],
    [
      'a 1-frame file',
      async () => {
        const file = path.join(fixture.dir, 'one-frame.mp4');
        await run('ffmpeg', [
          ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-frames:v', '1'],
          ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', file],
        ]);
        return readFile(file);
      },
      'not a playable video: it has a single frame (a picture, not a video)',
    ],
  ])('refuses %s before decoding it, with a clear reason', async (_name, make, reason) => {
    const encodesBefore = await encodes(fixture);
    const job = await fixture.submit(await make());
    const video = await settled(fixture, job.videoId);
    expect(video.status).toBe('failed');
    if (typeof reason === 'string') expect(video.error).toBe(reason);
    else expect(video.error).toMatch(reason);
    expect(video.error).not.toContain(fixture.dir);
    expect(await encodes(fixture)).toBe(encodesBefore);
    expect(await publishedKeys(fixture, job.videoId)).toEqual([]);
  });

  it('still encodes a real clip after all of that (nothing stuck behind the refusals)', async () => {
    const job = await fixture.submit(
      await makeClip(path.join(fixture.dir, 'ok.mp4'), { seconds: 2, size: '320x240' }),
    );
    expect((await settled(fixture, job.videoId)).status).toBe('ready');
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'retried' }),
    ).toBe(0);
  });
});

function settled(fixture: TranscodeFixture, videoId: string) {
  return eventually(
    `video ${videoId} to be ready or failed`,
    async () => {
      const video = await getVideo(fixture.catalog, videoId);
      return video?.status === 'ready' || video?.status === 'failed' ? video : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

async function publishedKeys(fixture: TranscodeFixture, videoId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of fixture.objectStore.list(mediaPrefix(videoId))) keys.push(object.key);
  return keys;
}

/** Encodes started and finished (the histogram's count): refusals must leave it alone. */
async function encodes(fixture: TranscodeFixture): Promise<number> {
  const metric = (await fixture.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'streamloop_transcode_encode_seconds',
  );
  const values = (metric?.values ?? []) as { metricName?: string; value: number }[];
  return values.find((v) => v.metricName === 'streamloop_transcode_encode_seconds_count')?.value ?? 0;
}
