/**
 * Single thumbnails for `thumbnail.jpg?time=`: one short generated clip through the real encode.
 * A 5 s clip with an IDR every 2 s has keyframes at 0, 2 and 4 s, so three thumbnails, each a
 * different picture (testsrc2's clock and moving shapes change every frame) at the top rung's size.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAndPackage } from '../src/encode-and-package.js';
import { probeMedia } from '../src/ffmpeg-command.js';
import { inspectSource } from '../src/inspect-source.js';
import { makeClip } from './helpers.js';
import { imageSize } from './media/probe-output.js';

describe('thumbnails every keyframe interval', () => {
  let dir: string;
  let out: string;
  let record: LadderRecord;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-thumbs-'));
    out = path.join(dir, 'out');
    const input = path.join(dir, 'source.mp4');
    await makeClip(input, { seconds: 5, size: '640x360', audio: false });
    const verdict = inspectSource(await probeMedia(input));
    if (!verdict.ok) throw new Error(verdict.reason);
    record = await encodeAndPackage({ ...verdict.source, input }, { outputDir: out, keyframeSeconds: 2 });
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes one thumbnail per 2 s of the clip and lists them in the ladder record', async () => {
    expect(record.thumbnails).toEqual({ intervalSec: 2, count: 3, pattern: 'default/thumbs/t_%05d.jpg' });
    expect((await readdir(path.join(out, 'default', 'thumbs'))).sort()).toEqual([
      't_00000.jpg',
      't_00001.jpg',
      't_00002.jpg',
    ]);
  });

  it('makes each thumbnail a distinct 640x360 JPEG', async () => {
    const names = ['t_00000.jpg', 't_00001.jpg', 't_00002.jpg'];
    const bytes = await Promise.all(names.map((name) => readFile(path.join(out, 'default', 'thumbs', name))));
    for (const jpeg of bytes) expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(new Set(bytes.map((b) => b.toString('base64'))).size).toBe(3);
    for (const name of names) {
      expect(await imageSize(path.join(out, 'default', 'thumbs', name))).toEqual({ width: 640, height: 360 });
    }
  });
});
