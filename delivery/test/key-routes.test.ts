/**
 * The AES-128 key route with the origin beside it: a player that only has the playlist URL finds
 * the key URI (token added by the rewrite), fetches the key, and the segment it decrypts with it is
 * real H.264 by ffprobe. Without a valid token for the video, the key is refused.
 */
import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getOrCreateVideoKey } from '@streamloop/catalog/key-repository';
import { mediaKey } from '@streamloop/core/object-layout';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVideo, buildDeliveryApp, type Fixture, openFixture, tokenFor } from './fixtures.js';

const run = promisify(execFile);

describe('GET /media/:id/aes-128.key', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let dir: string;
  let videoId: string;
  let key: Buffer;
  let clear: Buffer;

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-key-'));
    videoId = (await addVideo(fixture)).id;
    key = (await getOrCreateVideoKey(fixture.catalog, videoId))!.key;

    // One real MPEG-TS segment, encrypted as transcode's encrypt step does (AES-128-CBC, PKCS#7).
    const file = path.join(dir, 'seg.ts');
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=1'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', file],
    ]);
    clear = await readFile(file);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', key, iv);
    await fixture.objectStore.put(
      mediaKey(videoId, '360p/seg_000.ts'),
      Buffer.concat([cipher.update(clear), cipher.final()]),
    );
    await fixture.objectStore.put(
      mediaKey(videoId, '360p/index.m3u8'),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:1',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        `#EXT-X-KEY:METHOD=AES-128,URI="/media/${videoId}/aes-128.key",IV=0x${iv.toString('hex')}`,
        '#EXTINF:1.0,',
        'seg_000.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the key to the URI the rewritten playlist names, and it decrypts the segment', async () => {
    const token = tokenFor(videoId);
    const playlist = await app.inject({ url: `/media/${videoId}/360p/index.m3u8?token=${token}` });
    expect(playlist.statusCode).toBe(200);
    const keyTag = /#EXT-X-KEY:METHOD=AES-128,URI="([^"]+)",IV=0x([0-9a-f]{32})/.exec(playlist.body);
    expect(keyTag?.[1]).toBe(`/media/${videoId}/aes-128.key?token=${encodeURIComponent(token)}`);

    const answer = await app.inject({ url: keyTag![1]! });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.rawPayload).toHaveLength(16);

    const segment = await app.inject({ url: `/media/${videoId}/360p/seg_000.ts?token=${token}` });
    expect(segment.rawPayload.equals(clear)).toBe(false);
    const decipher = createDecipheriv('aes-128-cbc', answer.rawPayload, Buffer.from(keyTag![2]!, 'hex'));
    const decrypted = Buffer.concat([decipher.update(segment.rawPayload), decipher.final()]);
    const file = path.join(dir, 'decrypted.ts');
    await writeFile(file, decrypted);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      file,
    ]);
    // MPEG-TS lists each stream under its program too: the same stream, named twice.
    expect(new Set(stdout.split(/\s+/).filter(Boolean))).toEqual(new Set(['h264']));
  });

  it.each([
    ['no token', () => '', 403, 'ERR_TOKEN_INVALID'],
    ['a token for another video', () => `?token=${tokenFor('AnotherVideo1234')}`, 403, 'ERR_TOKEN_INVALID'],
    ['an expired token', () => `?token=${tokenFor(videoId, { expiresInS: -10 })}`, 403, 'ERR_TOKEN_EXPIRED'],
    ['two tokens', () => `?token=${tokenFor(videoId)}&token=${tokenFor(videoId)}`, 403, 'ERR_TOKEN_INVALID'],
  ])('refuses the key with %s', async (_name, query, status, code) => {
    const answer = await app.inject({ url: `/media/${videoId}/aes-128.key${query()}` });
    expect(answer.statusCode).toBe(status);
    expect(answer.json()).toMatchObject({ error: { code } });
    expect(answer.rawPayload.includes(key)).toBe(false);
  });

  it('refuses the key of a video that is not ready, and answers 404 for a video without a key', async () => {
    const processing = (await addVideo(fixture, { status: 'processing' })).id;
    await getOrCreateVideoKey(fixture.catalog, processing);
    const notReady = await app.inject({
      url: `/media/${processing}/aes-128.key?token=${tokenFor(processing)}`,
    });
    expect(notReady.statusCode).toBe(404);
    expect(notReady.json()).toMatchObject({ error: { code: 'ERR_VIDEO_NOT_READY' } });

    const clearVideo = (await addVideo(fixture)).id;
    const noKey = await app.inject({ url: `/media/${clearVideo}/aes-128.key?token=${tokenFor(clearVideo)}` });
    expect(noKey.statusCode).toBe(404);
    expect(noKey.json()).toMatchObject({
      error: { code: 'ERR_NOT_FOUND', message: `video ${clearVideo} is not encrypted` },
    });
  });
});
