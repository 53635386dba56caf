/**
 * Content probes on real ffmpeg: two 12 s 720p clips at the ends of the complexity range, probed
 * with small settings (2 samples of 2 s, 360p and 720p, CRF 20/26/32) so the suite stays well under
 * a minute on 2 cores. Expected numbers come from the clips' nature and the default ladder, never
 * from the code under test.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/ffmpeg-command.js';
import { inspectSource } from '../../src/inspect-source.js';
import {
  ContentProbeError,
  type ContentProbeResult,
  type ContentProbeSettings,
  type ContentProbeSource,
  planSamples,
  probeContent,
} from '../../src/per-title/content-probe.js';
import { buildRateQualityHull, type ProbePoint } from '../../src/per-title/rate-quality-hull.js';
import { run, slidesLavfi } from '../helpers.js';

const SIZE = '1280x720';
const SECONDS = 12;
const CLIPS = {
  slides: slidesLavfi(SIZE, SECONDS),
  // Every pixel changes every frame: a moving test pattern under heavy temporal grain.
  grain: `testsrc2=size=${SIZE}:rate=30:duration=${SECONDS},noise=alls=12:allf=t+u`,
};
const SMALL: ContentProbeSettings = {
  samples: 2,
  sampleSeconds: 2,
  maxSampledFraction: 1,
  heights: [360, 720],
  crfs: [20, 26, 32],
};

/** What an upstream probe would have said of a 12 s 720p MP4. */
const makeProbeSource = (input: string): ContentProbeSource => ({
  input,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: SECONDS,
  width: 1280,
  height: 720,
  frameRate: 30,
});

async function makeSource(dir: string, name: keyof typeof CLIPS): Promise<ContentProbeSource> {
  const file = path.join(dir, `${name}.mp4`);
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', CLIPS[name]],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', file],
  ]);
  const verdict = inspectSource(await probeMedia(file));
  if (!verdict.ok) throw new Error(verdict.reason);
  return { input: file, ...verdict.source };
}

const at = (result: ContentProbeResult, height: number): ProbePoint[] =>
  result.points.filter((p) => p.height === height).sort((a, b) => (a.crf ?? 0) - (b.crf ?? 0));

describe('planSamples', () => {
  // Middle 90 % of the title, cut in equal slices, one sample centred in each.
  it.each([
    {
      title: '10 min: five 2 s samples (2 % of the title holds 6)',
      durationSec: 600,
      settings: {},
      starts: [83, 191, 299, 407, 515],
      sampleSec: 2,
    },
    {
      title: '5 min: three, as 2 % is 6 s',
      durationSec: 300,
      settings: {},
      starts: [59, 149, 239],
      sampleSec: 2,
    },
    { title: '12 s: still one sample', durationSec: 12, settings: {}, starts: [5], sampleSec: 2 },
    {
      title: '12 s, two asked, no fraction limit',
      durationSec: 12,
      settings: { samples: 2, sampleSeconds: 2, maxSampledFraction: 1 },
      starts: [2.3, 7.7],
      sampleSec: 2,
    },
    {
      title: '30 s, four of 4 s',
      durationSec: 30,
      settings: { samples: 4, sampleSeconds: 4, maxSampledFraction: 1 },
      starts: [2.875, 9.625, 16.375, 23.125],
      sampleSec: 4,
    },
    {
      title: '10 s, five of 4 s asked: only two fit in the middle 9 s',
      durationSec: 10,
      settings: { samples: 5, sampleSeconds: 4, maxSampledFraction: 1 },
      starts: [0.75, 5.25],
      sampleSec: 4,
    },
  ])('$title', ({ durationSec, settings, starts, sampleSec }) => {
    expect(planSamples(durationSec, settings)).toEqual(
      starts.map((startSec) => ({ startSec, durationSec: sampleSec })),
    );
  });

  it('probes a title shorter than one sample whole', () => {
    expect(planSamples(1.5)).toEqual([{ startSec: 0, durationSec: 1.5 }]);
  });
});

describe('probeContent refuses numbers it cannot trust, naming the problem', () => {
  const good = makeProbeSource('/nonexistent/source.mp4');
  it.each([
    { title: 'zero duration', source: { durationSec: 0 }, code: 'ERR_PROBE_SOURCE_DURATION' },
    { title: 'NaN duration', source: { durationSec: Number.NaN }, code: 'ERR_PROBE_SOURCE_DURATION' },
    { title: 'infinite duration', source: { durationSec: Infinity }, code: 'ERR_PROBE_SOURCE_DURATION' },
    { title: 'zero width', source: { width: 0 }, code: 'ERR_PROBE_SOURCE_DIMENSIONS' },
    { title: 'fractional height', source: { height: 720.5 }, code: 'ERR_PROBE_SOURCE_DIMENSIONS' },
    { title: 'a huge frame', source: { width: 100_000 }, code: 'ERR_PROBE_SOURCE_DIMENSIONS' },
    { title: 'a playlist demuxer', source: { formatName: 'hls' }, code: 'ERR_PROBE_SOURCE_INPUT' },
    { title: 'an option as input', source: { input: '-i' }, code: 'ERR_PROBE_SOURCE_INPUT' },
    { title: 'a negative frame rate', source: { frameRate: -30 }, code: 'ERR_PROBE_SOURCE_INPUT' },
  ] as const)('$title → $code', async ({ source, code }) => {
    await expect(probeContent({ ...good, ...source })).rejects.toMatchObject({
      name: 'ContentProbeError',
      code,
    });
  });

  it.each([
    { title: 'no CRF', settings: { crfs: [] } },
    { title: 'a CRF past 51', settings: { crfs: [20, 60] } },
    { title: 'no height', settings: { heights: [] } },
    { title: 'zero samples', settings: { samples: 0 } },
    { title: 'a fraction over 1', settings: { maxSampledFraction: 2 } },
    { title: 'a preset that is an option', settings: { preset: '-y' } },
  ])('$title → ERR_PROBE_SETTINGS', async ({ settings }) => {
    const rejection = probeContent(good, settings);
    await expect(rejection).rejects.toBeInstanceOf(ContentProbeError);
    await expect(rejection).rejects.toMatchObject({ code: 'ERR_PROBE_SETTINGS' });
  });
});

describe('probeContent on real clips', () => {
  let dir: string;
  const results = {} as Record<keyof typeof CLIPS, ContentProbeResult>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'content-probe-test-'));
    // One at a time: each probe already keeps both cores busy.
    for (const name of Object.keys(CLIPS) as (keyof typeof CLIPS)[]) {
      results[name] = await probeContent(await makeSource(dir, name), { ...SMALL, workDir: dir });
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(CLIPS) as (keyof typeof CLIPS)[])(
    '%s: one point per resolution × CRF, at the ladder sizes',
    (name) => {
      const result = results[name];
      expect(result.points.map((p) => [p.height, p.width, p.crf])).toEqual([
        [360, 640, 20],
        [360, 640, 26],
        [360, 640, 32],
        [720, 1280, 20],
        [720, 1280, 26],
        [720, 1280, 32],
      ]);
      expect(result.samples).toEqual([
        { startSec: 2.3, durationSec: 2 },
        { startSec: 7.7, durationSec: 2 },
      ]);
      expect(result.display).toEqual({ width: 1920, height: 1080 });
    },
  );

  it.each(Object.keys(CLIPS) as (keyof typeof CLIPS)[])(
    '%s: a higher CRF spends fewer bits and scores lower, at every resolution',
    (name) => {
      for (const height of [360, 720]) {
        const [crf20, crf26, crf32] = at(results[name], height) as [ProbePoint, ProbePoint, ProbePoint];
        expect(crf20.bitrateKbps).toBeGreaterThan(crf26.bitrateKbps);
        expect(crf26.bitrateKbps).toBeGreaterThan(crf32.bitrateKbps);
        expect(crf20.psnrDb).toBeGreaterThan(crf26.psnrDb);
        expect(crf26.psnrDb).toBeGreaterThan(crf32.psnrDb);
        expect(crf20.ssim).toBeGreaterThanOrEqual(crf26.ssim);
        expect(crf26.ssim).toBeGreaterThanOrEqual(crf32.ssim);
      }
    },
  );

  // At 720p and each CRF the slides score at least as high with ≥ 10× fewer bits, so they reach
  // any quality the grain reaches for a tenth of its bits. Measured: 51–314× fewer (slides 18–25
  // kbit/s, grain 0.9–7.9 Mbit/s); 10× leaves a 5× margin for other encoder builds and threads.
  it('a slide deck reaches the grainy clip’s quality at its top resolution with ≥ 10× fewer bits', () => {
    const slides = at(results.slides, 720);
    const grain = at(results.grain, 720);
    slides.forEach((slide, i) => {
      const grainy = grain[i] as ProbePoint;
      expect(slide.psnrDb).toBeGreaterThanOrEqual(grainy.psnrDb);
      expect(slide.bitrateKbps * 10).toBeLessThan(grainy.bitrateKbps);
    });
  });

  it('the slide deck’s hull tops out under the default ladder’s second rung', () => {
    const hull = buildRateQualityHull(results.slides.points);
    const top = hull.points[hull.points.length - 1] as ProbePoint;
    const secondRung = DEFAULT_LADDER.rungs[1]?.videoBitrateKbps as number; // 360p, 800 kbit/s
    // The default ladder gives this 720p source 2800 kbit/s at its top; the slides need far less.
    expect(top.bitrateKbps).toBeLessThan(secondRung);
  });

  it.each(Object.keys(CLIPS) as (keyof typeof CLIPS)[])('%s: reports the CPU the probe cost', (name) => {
    const { cost } = results[name];
    expect(cost.encodeCpuSec).toBeGreaterThan(0);
    expect(cost.scoreCpuSec).toBeGreaterThan(0);
    expect(cost.cpuSec).toBeCloseTo(cost.encodeCpuSec + cost.scoreCpuSec, 2);
    expect(cost.wallSec).toBeGreaterThan(0);
  });

  it('a source ffmpeg cannot decode fails with ERR_PROBE_FFMPEG and leaves no probe files', async () => {
    const garbage = path.join(dir, 'garbage.mp4');
    await writeFile(garbage, Buffer.alloc(64 * 1024, 0x5a));
    await expect(probeContent(makeProbeSource(garbage), { ...SMALL, workDir: dir })).rejects.toMatchObject({
      code: 'ERR_PROBE_FFMPEG',
    });
    expect((await readdir(dir)).filter((f) => f.startsWith('content-probe-'))).toEqual([]);
  });
});
