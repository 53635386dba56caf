/**
 * HEVC and AV1 rungs chosen per ladder: CODECS strings read from their init segments, segments that
 * ffprobe decodes as the codec named, and (Chromium plays AV1 but not HEVC, FACTS.md) an AV1 ladder
 * played in the browser. HEVC is checked by parsing and probing only.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { Ladder, LadderRung } from '@streamloop/core/schemas/ladder';
import { Parser } from 'm3u8-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAndPackage } from '../src/encode-and-package.js';
import { makeMatrixClip } from './media/clips.js';
import { type PlaybackRig, startPlaybackRig } from './media/playback.js';
import { probeSegment } from './media/probe-output.js';

const rung = (codec: LadderRung['codec'], height: number, kbps: number): LadderRung => ({
  height,
  codec,
  profile: 'main',
  videoBitrateKbps: kbps,
  maxrateKbps: Math.round(kbps * 1.1),
  bufsizeKbps: Math.round(kbps * 1.5),
});
const ladderOf = (id: string, rungs: LadderRung[]): Ladder => ({ ...DEFAULT_LADDER, id, version: 1, rungs });

let root: string;
let source: string;
let rig: PlaybackRig;

/** Encodes into `<root>/<name>/` and returns the ladder's folder in it (where the master is). */
const packageWith = async (name: string, ladder: Ladder): Promise<string> => {
  const out = path.join(root, name);
  await mkdir(out);
  const record = await encodeAndPackage(
    {
      input: source,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: 3,
      width: 640,
      height: 360,
      frameRate: 30,
      hasAudio: true,
    },
    { outputDir: out, ladder, segmentSeconds: 2 },
  );
  return path.join(out, path.dirname(record.master));
};

const masterOf = async (out: string) => {
  const parser = new Parser();
  parser.push(await readFile(path.join(out, 'master.m3u8'), 'utf8'));
  parser.end();
  return parser.manifest;
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'streamloop-codecs-'));
  source = path.join(root, 'source.mp4');
  await makeMatrixClip(source, { width: 640, height: 360, fps: 30, seconds: 3, audio: true });
  rig = await startPlaybackRig(root);
}, 120_000);

afterAll(async () => {
  await rig?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('codec rungs', () => {
  it('puts H.264, HEVC and AV1 rungs of one ladder side by side with the CODECS each really has', async () => {
    const out = await packageWith(
      'mixed',
      ladderOf('mixed', [
        rung('h264', 180, 300),
        rung('h264', 360, 600),
        rung('hevc', 360, 450),
        rung('av1', 360, 400),
      ]),
    );
    const variants = (await masterOf(out)).playlists ?? [];
    const byFolder = new Map(variants.map((v) => [path.dirname(v.uri), v.attributes.CODECS]));
    expect(byFolder.get('360p')).toMatch(/^avc1\.4D40[0-9A-F]{2},mp4a\.40\.2$/);
    expect(byFolder.get('360p-hevc')).toMatch(/^hvc1\.1\.6\.L\d+(\.[0-9A-F]{1,2})*,mp4a\.40\.2$/);
    expect(byFolder.get('360p-av1')).toMatch(/^av01\.0\.\d{2}M\.08,mp4a\.40\.2$/);

    const scratch = path.join(root, 'scratch');
    await mkdir(scratch, { recursive: true });
    const expected: [string, string, string][] = [
      ['360p-hevc', 'hevc', 'hvc1'],
      ['360p-av1', 'av1', 'av01'],
    ];
    for (const [folder, codecName, codecTag] of expected) {
      for (const segment of ['seg_000.m4s', 'seg_001.m4s']) {
        const probe = await probeSegment(path.join(out, folder), segment, scratch);
        expect(probe).toMatchObject({ codecName, codecTag, width: 640, height: 360, firstPacketIsKey: true });
      }
    }
  }, 300_000);

  it('plays an AV1 ladder in Chromium over DASH and HLS', async () => {
    const out = await packageWith('av1', ladderOf('av1', [rung('av1', 180, 200), rung('av1', 360, 400)]));
    for (const [file, type] of [
      ['manifest.mpd', 'dash'],
      ['master.m3u8', 'hls'],
    ] as const) {
      const result = await rig.play(`${path.relative(root, out)}/${file}`, type);
      expect(result.error).toBeNull();
      expect(result.playedSec).toBeGreaterThanOrEqual(1);
    }
  }, 300_000);
});
