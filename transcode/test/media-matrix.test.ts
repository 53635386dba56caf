/**
 * The media matrix: generated sources of every awkward shape go through the real encode and
 * packaging, and the output is judged the way players judge it — parsed with video.js's own
 * manifest parsers, its segments decoded by ffprobe, and played (HLS and DASH) in headless Chromium.
 * Clips are 2–3 s and segments 2 s, so each rendition has more than one segment on 2 shared cores.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAndPackage } from '../src/encode-and-package.js';
import { probeMedia } from '../src/ffmpeg-command.js';
import { inspectSource } from '../src/inspect-source.js';
import { type ClipSpec, makeMatrixClip } from './media/clips.js';
import { type PlaybackRig, startPlaybackRig } from './media/playback.js';
import { imageSize, meanLuma, probeSegment, type SegmentProbe } from './media/probe-output.js';

interface MatrixCase {
  name: string;
  clip: ClipSpec;
  /** Picture sizes of the ladder, lowest first. */
  sizes: string[];
  /** Output rate as ffprobe states it; undefined: whatever the probe found, as long as it is constant. */
  rate: string | undefined;
}

const clip = (overrides: Partial<ClipSpec>): ClipSpec => ({
  width: 640,
  height: 360,
  fps: 30,
  seconds: 3,
  audio: true,
  ...overrides,
});
const SMALL = ['416x234', '640x360'];

const CASES: MatrixCase[] = [
  {
    name: '1080p landscape',
    clip: clip({ width: 1920, height: 1080, seconds: 2 }),
    sizes: ['416x234', '640x360', '852x480', '1280x720', '1920x1080'],
    rate: '30/1',
  },
  {
    name: '720p source opening on black: no rung above 720p, the poster is not black',
    clip: clip({ width: 1280, height: 720, seconds: 2, blackStart: true }),
    sizes: ['416x234', '640x360', '852x480', '1280x720'],
    rate: '30/1',
  },
  {
    name: 'portrait 1080x1920',
    clip: clip({ width: 1080, height: 1920, seconds: 2 }),
    sizes: ['234x416', '360x640', '480x852', '720x1280', '1080x1920'],
    rate: '30/1',
  },
  {
    name: 'odd 1279x719',
    clip: clip({ width: 1279, height: 719, seconds: 2 }),
    sizes: ['416x234', '640x360', '852x480'],
    rate: '30/1',
  },
  { name: 'no audio track', clip: clip({ audio: false }), sizes: SMALL, rate: '30/1' },
  { name: '10-bit input', clip: clip({ tenBit: true }), sizes: SMALL, rate: '30/1' },
  { name: 'variable frame rate', clip: clip({ variableFrameRate: true }), sizes: SMALL, rate: undefined },
  { name: '60 fps', clip: clip({ fps: 60 }), sizes: SMALL, rate: '60/1' },
];

const ratio = (rate: string) => {
  const [num, den] = rate.split('/').map(Number) as [number, number];
  return num / den;
};
const KEYFRAME_SECONDS = 2;
const SEGMENT_SECONDS = 2;

const parseM3u8 = (text: string) => {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
};

let root: string;
let rig: PlaybackRig;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'streamloop-matrix-'));
  rig = await startPlaybackRig(root);
});

afterAll(async () => {
  await rig?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Peak and average bits per second of a folder's segments, from ffprobe durations and file sizes. */
function measured(probes: SegmentProbe[]): { peak: number; average: number } {
  const bytes = probes.reduce((sum, p) => sum + p.bytes, 0);
  const seconds = probes.reduce((sum, p) => sum + p.durationSec, 0);
  return {
    peak: Math.max(...probes.map((p) => (p.bytes * 8) / Math.max(p.durationSec, 0.5))),
    average: (bytes * 8) / seconds,
  };
}

const within10Percent = (declared: number, actual: number) =>
  expect(Math.abs(declared - actual) / actual).toBeLessThanOrEqual(0.1);

describe.each(CASES)('$name', ({ clip: spec, sizes, rate }) => {
  let out: string;
  let scratch: string;

  beforeAll(async () => {
    const dir = path.join(root, `${spec.width}x${spec.height}-${Math.random().toString(36).slice(2, 8)}`);
    out = path.join(dir, 'out');
    scratch = path.join(dir, 'scratch');
    await mkdir(out, { recursive: true });
    await mkdir(scratch);
    const input = path.join(dir, 'source.mp4');
    await makeMatrixClip(input, spec);
    // What the worker hands over: the probe's view of the source.
    const verdict = inspectSource(await probeMedia(input));
    if (!verdict.ok) throw new Error(verdict.reason);
    const record = await encodeAndPackage(
      { ...verdict.source, input },
      { outputDir: out, segmentSeconds: SEGMENT_SECONDS, keyframeSeconds: KEYFRAME_SECONDS },
    );
    // The files below are read from the ladder's folder, where the master is.
    out = path.join(out, path.dirname(record.master));
  }, 300_000);

  const read = (file: string) => readFile(path.join(out, file), 'utf8');
  const totalSeconds = spec.seconds + (spec.blackStart ? 1 : 0);

  it('packages every rung as CMAF that opens each segment on an aligned keyframe, with honest bandwidths', async () => {
    const master = parseM3u8(await read('master.m3u8'));
    const variants = master.playlists ?? [];
    expect(
      variants.map((v) => `${v.attributes.RESOLUTION?.width}x${v.attributes.RESOLUTION?.height}`),
    ).toEqual(sizes);
    const audioGroup = master.mediaGroups.AUDIO.audio;
    expect(audioGroup !== undefined).toBe(spec.audio);
    const audioProbes = spec.audio
      ? await Promise.all(
          parseM3u8(await read('audio/index.m3u8')).segments.map((s) =>
            probeSegment(path.join(out, 'audio'), s.uri, scratch),
          ),
        )
      : [];
    if (spec.audio) expect(audioProbes.every((p) => p.codecName === 'aac' && p.profile === 'LC')).toBe(true);
    const audio = spec.audio ? measured(audioProbes) : { peak: 0, average: 0 };

    for (const variant of variants) {
      const folder = path.join(out, path.dirname(variant.uri));
      const media = parseM3u8(await read(variant.uri));
      expect(media.endList).toBe(true);
      const probes = await Promise.all(media.segments.map((s) => probeSegment(folder, s.uri, scratch)));
      expect(probes).toHaveLength(Math.ceil(totalSeconds / SEGMENT_SECONDS));
      const { width, height } = variant.attributes.RESOLUTION!;
      // Presentation starts after the encoder's reorder delay; keyframes sit on a 2 s grid from there.
      const origin = probes[0]!.keyframeTimesSec[0]!;
      let start = origin;
      for (const probe of probes) {
        expect(probe).toMatchObject({
          codecName: 'h264',
          pixFmt: 'yuv420p',
          width,
          height,
          firstPacketIsKey: true,
        });
        expect(probe.frameRate).toBe(rate ?? probes[0]!.frameRate);
        expect(ratio(probe.averageFrameRate)).toBeCloseTo(ratio(probe.frameRate), 1);
        // A keyframe can only sit on a frame: the first one at or after each 2 s mark.
        const frameSec = 1 / ratio(probe.frameRate);
        for (const t of probe.keyframeTimesSec) {
          const offGridSec =
            t - origin - Math.floor((t - origin + 0.001) / KEYFRAME_SECONDS) * KEYFRAME_SECONDS;
          expect(offGridSec).toBeLessThan(frameSec);
        }
        expect(probe.keyframeTimesSec[0]).toBeCloseTo(start, 1);
        start += probe.durationSec;
      }
      expect(variant.attributes.CODECS).toMatch(
        spec.audio ? /^avc1\.[0-9A-F]{6},mp4a\.40\.2$/ : /^avc1\.[0-9A-F]{6}$/,
      );
      expect(variant.attributes['FRAME-RATE']).toBeCloseTo(ratio(probes[0]!.frameRate), 2);
      expect(variant.attributes.AUDIO).toBe(spec.audio ? 'audio' : undefined);
      const video = measured(probes);
      within10Percent(variant.attributes.BANDWIDTH!, video.peak + audio.peak);
      within10Percent(variant.attributes['AVERAGE-BANDWIDTH']!, video.average + audio.average);
    }
  });

  it('offers an I-frame playlist per rung whose byte ranges each decode to one keyframe', async () => {
    const master = parseM3u8(await read('master.m3u8'));
    const iframes = master.iFramePlaylists ?? [];
    expect(iframes.map((p) => p.uri)).toEqual(
      (master.playlists ?? []).map((p) => p.uri.replace('index', 'iframes')),
    );
    for (const entry of iframes) {
      const playlist = parseM3u8(await read(entry.uri));
      expect(playlist.iFramesOnly).toBe(true);
      expect(playlist.segments.length).toBeGreaterThanOrEqual(1);
      const folder = path.join(out, path.dirname(entry.uri));
      const first = playlist.segments[0]!;
      const bytes = (await readFile(path.join(folder, first.uri))).subarray(
        first.byterange!.offset,
        first.byterange!.offset + first.byterange!.length,
      );
      const cut = `iframe-${path.basename(folder)}.m4s`;
      await writeFile(path.join(folder, cut), bytes);
      const probe = await probeSegment(folder, cut, scratch);
      await rm(path.join(folder, cut));
      expect(probe.firstPacketIsKey).toBe(true);
      expect(probe.keyframeTimesSec).toHaveLength(1);
    }
  });

  it('describes the same segments in a DASH MPD', async () => {
    const hls = parseM3u8(await read('master.m3u8'));
    const mpd = parseMpd(await read('manifest.mpd'), { manifestUri: 'http://origin/media/v/manifest.mpd' });
    const reps = [...mpd.playlists].sort((a, b) => a.attributes.BANDWIDTH - b.attributes.BANDWIDTH);
    expect(reps.map((r) => `${r.attributes.RESOLUTION?.width}x${r.attributes.RESOLUTION?.height}`)).toEqual(
      sizes,
    );
    for (const rep of reps) {
      const name = rep.attributes.NAME;
      const media = parseM3u8(await read(`${name}/index.m3u8`));
      expect(rep.segments.map((s) => path.basename(s.resolvedUri))).toEqual(media.segments.map((s) => s.uri));
      expect(rep.segments[0]?.map?.resolvedUri).toBe(`http://origin/media/v/${name}/init.mp4`);
      const variant = hls.playlists!.find((p) => p.uri === `${name}/index.m3u8`)!;
      expect(variant.attributes.CODECS!.startsWith(rep.attributes.CODECS)).toBe(true);
    }
    expect(Object.keys(mpd.mediaGroups.AUDIO).length > 0).toBe(spec.audio);
    expect(mpd.duration).toBeCloseTo(totalSeconds, 0);
  });

  it('makes a poster that is not black and a storyboard whose cues point inside its sprite sheet', async () => {
    expect(await meanLuma(path.join(out, 'poster.jpg'))).toBeGreaterThan(40);
    const cues = (await read('storyboard.vtt')).split('\n').filter((l) => l.includes('#xywh='));
    expect(cues.length).toBe(Math.ceil(totalSeconds));
    for (const cue of cues) {
      const [sheet, fragment] = cue.split('#xywh=') as [string, string];
      const [x, y, w, h] = fragment.split(',').map(Number) as [number, number, number, number];
      const size = await imageSize(path.join(out, sheet));
      expect(x + w).toBeLessThanOrEqual(size.width);
      expect(y + h).toBeLessThanOrEqual(size.height);
    }
  });

  it("writes a thumbnail per keyframe interval, the top rung's shape at most 360 px high", async () => {
    const [width, height] = sizes[sizes.length - 1]!.split('x').map(Number) as [number, number];
    const stills = (await readdir(path.join(out, 'thumbs'))).sort();
    expect(stills).toEqual(
      Array.from(
        { length: Math.ceil(totalSeconds / KEYFRAME_SECONDS) },
        (_, i) => `t_${String(i).padStart(5, '0')}.jpg`,
      ),
    );
    for (const still of stills) {
      const size = await imageSize(path.join(out, 'thumbs', still));
      expect(size.height).toBe(Math.min(360, height));
      expect(size.width % 2).toBe(0);
      expect(size.width / size.height).toBeCloseTo(width / height, 1);
    }
  });

  it.each(['hls', 'dash'] as const)('plays in Chromium with video.js over %s', async (type) => {
    const dir = path.relative(root, out);
    const result = await rig.play(`${dir}/${type === 'hls' ? 'master.m3u8' : 'manifest.mpd'}`, type);
    expect(result.error).toBeNull();
    expect(result.playedSec).toBeGreaterThanOrEqual(1);
    expect(result.videoWidth).toBeGreaterThan(0);
  });
});
