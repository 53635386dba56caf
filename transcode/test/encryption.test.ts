/**
 * HLS AES-128 through the worker with real ffmpeg on the embedded adapters: what is published is
 * ciphertext that only the catalog's key opens, the playlists say how, and the key is nowhere in
 * the object store.
 */
import { createDecipheriv } from 'node:crypto';
import path from 'node:path';
import { getVideoKey } from '@streamloop/catalog/key-repository';
import { ladderPrefix, MASTER_PLAYLIST } from '@streamloop/core/object-layout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codecsOf,
  makeClip,
  parseMaster,
  settledVideo,
  startTranscodeFixture,
  type TranscodeFixture,
} from './helpers.js';

const KEY_TAG = /^#EXT-X-KEY:METHOD=AES-128,URI="([^"]+)",IV=0x([0-9a-f]{32})$/;

describe('transcode with AES-128 encryption', () => {
  let fixture: TranscodeFixture;

  beforeAll(async () => {
    fixture = await startTranscodeFixture({ encryption: 'aes-128' });
  });
  afterAll(() => fixture.teardown());

  it('publishes segments only the video key decrypts, each named after its own EXT-X-KEY and IV', async () => {
    const job = await fixture.submit(
      await makeClip(path.join(fixture.dir, 'clip.mp4'), { seconds: 4, size: '320x240' }),
    );
    const video = await settledVideo(fixture.catalog, job.videoId);
    expect(video).toMatchObject({ status: 'ready', error: null });
    expect(video.ladder).toMatchObject({
      encryption: { method: 'AES-128', keyUri: `/media/${job.videoId}/aes-128.key` },
    });
    const key = (await getVideoKey(fixture.catalog, job.videoId))?.key;
    expect(key).toHaveLength(16);

    const prefix = ladderPrefix(job.videoId, 'default');
    const master = (await fixture.objectStore.getBuffer(`${prefix}${MASTER_PLAYLIST}`))!.toString('utf8');
    const variants = parseMaster(master);
    expect(variants.length).toBeGreaterThanOrEqual(2);
    // Video rungs carry H.264 only; the one shared audio rendition (EXT-X-MEDIA) carries AAC.
    const playlists = [
      ...variants.map((variant) => ({ uri: variant.uri, codecs: ['h264'] })),
      ...[...master.matchAll(/^#EXT-X-MEDIA:TYPE=AUDIO.*URI="([^"]+)"/gm)].map((m) => ({
        uri: m[1]!,
        codecs: ['aac'],
      })),
    ];
    expect(
      playlists.some((p) => p.codecs[0] === 'aac'),
      'an audio rendition',
    ).toBe(true);
    expect(master, 'no I-frame playlists over encrypted segments').not.toContain('EXT-X-I-FRAME-STREAM-INF');
    const ivs = new Set<string>();
    let segments = 0;
    const decrypt = (stored: Buffer, iv: Buffer): Buffer => {
      const decipher = createDecipheriv('aes-128-cbc', key!, iv);
      return Buffer.concat([decipher.update(stored), decipher.final()]);
    };
    for (const playlist of playlists) {
      const playlistKey = prefix + playlist.uri;
      const dir = playlistKey.slice(0, playlistKey.lastIndexOf('/') + 1);
      const lines = (await fixture.objectStore.getBuffer(playlistKey))!.toString('utf8').split('\n');
      let pending: { uri: string; iv: Buffer } | undefined;
      let init: Buffer | undefined;
      for (const line of lines.map((l) => l.trim())) {
        const tag = KEY_TAG.exec(line);
        if (tag) {
          pending = { uri: tag[1]!, iv: Buffer.from(tag[2]!, 'hex') };
          ivs.add(tag[2]!);
          continue;
        }
        const map = /^#EXT-X-MAP:URI="([^"]+)"/.exec(line);
        // Every media URI — the fMP4 init section included — follows its own key tag.
        const uri = map?.[1] ?? (line === '' || line.startsWith('#') ? undefined : line);
        if (uri === undefined) continue;
        expect(pending, `a key tag before ${uri}`).toBeDefined();
        expect(pending!.uri).toBe(`/media/${job.videoId}/aes-128.key`);
        const stored = (await fixture.objectStore.getBuffer(dir + uri))!;
        const clear = decrypt(stored, pending!.iv);
        pending = undefined;
        if (map) {
          // Ciphertext: not even the init section reads as MP4 as it is stored.
          await expect(codecsOf(stored, fixture.dir)).rejects.toThrow();
          init = clear;
          expect(await codecsOf(init, fixture.dir)).toEqual(playlist.codecs);
          continue;
        }
        expect(init, `an init section before ${uri}`).toBeDefined();
        // A CMAF segment is read after its init section, as a player does.
        expect(stored.equals(clear.subarray(0, stored.length)), 'the stored segment is ciphertext').toBe(
          false,
        );
        expect(await codecsOf(Buffer.concat([init!, clear]), fixture.dir)).toEqual(playlist.codecs);
        segments += 1;
      }
    }
    expect(segments).toBeGreaterThanOrEqual(2);
    // One IV per encrypted file: every segment and every init section.
    expect(ivs.size).toBe(segments + playlists.length);

    // The key is in the catalog only: no object in the store holds its 16 bytes.
    for await (const object of fixture.objectStore.list(prefix)) {
      expect(object.key.endsWith('.key'), object.key).toBe(false);
      expect((await fixture.objectStore.getBuffer(object.key))!.includes(key!), object.key).toBe(false);
      expect(object.key.endsWith('.mpd'), 'no DASH manifest for an AES-128 video').toBe(false);
    }
  });
});
