/**
 * Content analysis for per-title ladders (issue 13, deliver 1): cheap probe encodes of a few short
 * samples spread over the title, at every probe resolution × CRF, each scored with PSNR and SSIM
 * against the source scaled to one fixed display. The result is the `ProbePoint[]` that
 * `buildRateQualityHull` turns into rate–quality curves and their hull, plus what the probe cost.
 *
 * Two ffmpeg processes per title, whatever the number of probes (the price: every x264 encoder
 * lives at once, ~0.7 GB resident for 12 probes of a 720p source):
 * 1. encode: every sample is demuxed and decoded ONCE (`-ss`/`-t` inputs, `concat`), then `split`
 *    to each resolution (`scale`, as the real encode) and again to each CRF; each probe is written as
 *    a raw H.264 stream, so its bytes are the video payload without container overhead.
 * 2. score: the samples decoded once more, scaled to the display ONCE and `split` to every probe;
 *    each probe decoded, scaled to the display with the same scaler, and compared by a named
 *    `psnr@pN` and `ssim@sN` filter whose summary line ffmpeg prints on stderr.
 *
 * Choices, with what was measured and what is only assumed (the benchmark checks both):
 * - Preset: the default ladder's own (`veryfast`), so for the default ladder the probe's curves are
 *   the final encode's, up to CRF standing in for its capped VBR at the same average bitrate (an
 *   assumption: CRF is what capped VBR approximates when the cap is loose). Measured here, a
 *   `superfast` probe saves only ~10 % of the probe's CPU (scoring, half the cost, stays) but its
 *   bitrates ran 1.6–1.8× the veryfast ones at the same CRF, with different points on the hull. For
 *   a ladder with a slower preset the probe stays at this fast one and ASSUMES its hull tracks the
 *   slower one: a slower preset saves bits by a similar factor at every resolution, so the curves
 *   shift together and which resolution wins at which bitrate holds; the probe's bitrates are then a
 *   high estimate. Not measured here.
 * - CRF 20 / 26 / 32: x264's useful range for streaming (≈ 20 visually transparent, ≈ 32 visibly
 *   soft). Six CRF steps ≈ a doubling of the bitrate, the spacing (1.5–2.5×) of a ladder's rungs,
 *   so three points span about 4× at each resolution and the resolutions overlap.
 * - Encoding as the ladder does: its heights (short side, via fitLadder: never upscaled, aspect
 *   kept, even sides), 4:2:0, its frame rate, an IDR every 2 s, closed GOPs, no scene cuts.
 * - Quality is luma: PSNR-Y of the mean MSE over every sampled frame (ffmpeg's psnr summary, i.e.
 *   averaged on MSE, so a few near-perfect frames cannot hide bad ones) and SSIM-Y averaged per
 *   frame. A probe identical to the source (PSNR infinite) counts as MAX_PSNR_DB.
 * - Display 1920×1080 (short side 1080, the source's aspect), bicubic for source and probe alike:
 *   scores at different resolutions then describe the same screen and compare. PSNR/SSIM, not VMAF
 *   (no libvmaf here, FACTS.md).
 * - Samples: 5 of 2 s (one GOP of the ladder each, so a sample has the final encode's mix of I, P
 *   and B frames), evenly spread, avoiding the first and last 5 % (titles, credits), and at most
 *   2 % of the title. Measured here (720p sources, 4-rung default ladder, 1080p display, 12 probes):
 *   a sampled second costs ~5× the CPU of a title second of the ladder encode — scoring at 1080p is
 *   half of it and does not shrink with simple content — plus a fixed cost per process and per
 *   sample (the accurate seek decodes from the source's previous keyframe). A 240 s title (2
 *   samples) probed for 9 % of its encode's CPU; 10 min gets 5 samples (1.7 %). A short title still
 *   gets one sample, so its share is far higher (a 12 s clip: 84–131 %, 5–9 CPU seconds); a title
 *   whose middle 90 % is shorter than one sample is probed whole.
 *
 * CPU: each ffmpeg runs with `-benchmark`, which prints its own getrusage (user + system time of
 * every thread) as it exits. Node cannot ask for a child's rusage (`process.resourceUsage()` is the
 * parent's alone; `/proc/<pid>/stat` vanishes when libuv reaps the child; the parent's cutime in
 * `/proc/self/stat` mixes every child of the process, concurrent ones too), `/usr/bin/time` is not on
 * every host, and ffmpeg reports for itself wherever it runs. Checked here against
 * `/usr/bin/time -f '%U %S'` and against this process's cutime + cstime: 0.06–0.3 s less (the start-up
 * and exit `-benchmark` does not see, and `nice`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LADDER, h264Rung } from '@streamloop/core/ladders';
import type { Ladder } from '@streamloop/core/schemas/ladder';
import { encodeTimeoutSec, type PackageSource } from '../encode-and-package.js';
import { ACCEPTED_FORMATS, MAX_PIXELS, rateExpression, SAFE_INPUT } from '../ffmpeg-command.js';
import { fitLadder, outputFrameRate } from '../fit-ladder.js';
import type { ProbePoint } from './rate-quality-hull.js';

export const DEFAULT_PROBE_SAMPLES = 5;
export const DEFAULT_PROBE_SAMPLE_SECONDS = 2;
/** Issue 13 budgets the probe at 15 % of the ladder encode's CPU; see the module comment. */
export const DEFAULT_MAX_SAMPLED_FRACTION = 0.02;
/** Opening titles and end credits are not what the title's bits are spent on. */
export const DEFAULT_EDGE_FRACTION = 0.05;
export const DEFAULT_PROBE_CRFS: readonly number[] = [20, 26, 32];
export const DEFAULT_PROBE_PRESET = DEFAULT_LADDER.presets.h264;
export const DEFAULT_DISPLAY_HEIGHT = 1080;
/** As the ladder encode: Apple HLS authoring spec, an IDR every 2 s. */
const KEYFRAME_SECONDS = 2;
/** What an exact copy of the source scores (ffmpeg prints `inf`); the hull needs a finite number. */
export const MAX_PSNR_DB = 100;
const DEFAULT_NICENESS = 10;
const OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;

/** The source as the upstream probe described it (the encode's PackageSource, audio aside). */
export type ContentProbeSource = Omit<PackageSource, 'hasAudio'>;

export interface ContentProbeSettings {
  samples?: number;
  sampleSeconds?: number;
  /** Most of the title sampled (0–1]; at least one sample is taken whatever the title's length. */
  maxSampledFraction?: number;
  /** Short sides to probe; those above the source's are dropped. Default: DEFAULT_LADDER's. */
  heights?: readonly number[];
  crfs?: readonly number[];
  /** x264 preset of the probe encodes. */
  preset?: string;
  /** Short side of the display scores are computed on. */
  displayHeight?: number;
  /** Where the probe encodes are written (a fresh folder inside, removed afterwards). */
  workDir?: string;
  niceness?: number;
  signal?: AbortSignal;
}

export interface ProbeSample {
  startSec: number;
  durationSec: number;
}

export interface ContentProbeCost {
  /** User + system CPU seconds of both ffmpeg processes, as each reported with `-benchmark`. */
  cpuSec: number;
  encodeCpuSec: number;
  scoreCpuSec: number;
  /** Wall time of the whole probe, files included. */
  wallSec: number;
  /** The larger peak resident memory of the two processes. */
  peakRssKb: number;
}

export interface ContentProbeResult {
  /**
   * One per resolution × CRF, by height then the CRFs' order; `height` the short side and `width`
   * the long side of the probe's picture (ProbePoint's convention, portrait or landscape).
   */
  points: ProbePoint[];
  samples: ProbeSample[];
  sampledSec: number;
  display: { width: number; height: number };
  codec: 'h264';
  preset: string;
  cost: ContentProbeCost;
}

export type ContentProbeErrorCode =
  | 'ERR_PROBE_SOURCE_DURATION'
  | 'ERR_PROBE_SOURCE_DIMENSIONS'
  | 'ERR_PROBE_SOURCE_INPUT'
  | 'ERR_PROBE_SETTINGS'
  | 'ERR_PROBE_FFMPEG'
  | 'ERR_PROBE_OUTPUT';

export class ContentProbeError extends Error {
  constructor(
    readonly code: ContentProbeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ContentProbeError';
  }
}

/**
 * Where the samples go: `samples` of `sampleSeconds`, fewer when `maxSampledFraction` of the title
 * or its middle 90 % cannot hold them (never fewer than one), each centred in an equal slice of the
 * middle 90 %. A title whose middle 90 % is shorter than one sample is sampled whole.
 */
export function planSamples(
  durationSec: number,
  settings: Pick<ContentProbeSettings, 'samples' | 'sampleSeconds' | 'maxSampledFraction'> = {},
): ProbeSample[] {
  const samples = settings.samples ?? DEFAULT_PROBE_SAMPLES;
  const sampleSeconds = settings.sampleSeconds ?? DEFAULT_PROBE_SAMPLE_SECONDS;
  const fraction = settings.maxSampledFraction ?? DEFAULT_MAX_SAMPLED_FRACTION;
  checkDuration(durationSec);
  if (!(Number.isInteger(samples) && samples >= 1)) {
    throw settingsError('samples', `must be an integer ≥ 1, got ${samples}`);
  }
  if (!(Number.isFinite(sampleSeconds) && sampleSeconds > 0)) {
    throw settingsError('sampleSeconds', `must be a number > 0, got ${sampleSeconds}`);
  }
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction <= 1)) {
    throw settingsError('maxSampledFraction', `must be in (0, 1], got ${fraction}`);
  }
  const windowStart = durationSec * DEFAULT_EDGE_FRACTION;
  const windowSec = durationSec * (1 - 2 * DEFAULT_EDGE_FRACTION);
  const fit = Math.min(
    samples,
    Math.floor(windowSec / sampleSeconds),
    Math.max(1, Math.floor((durationSec * fraction) / sampleSeconds)),
  );
  if (fit < 1) return [{ startSec: 0, durationSec }];
  const slice = windowSec / fit;
  return Array.from({ length: fit }, (_, i) => ({
    startSec: round3(windowStart + slice * i + (slice - sampleSeconds) / 2),
    durationSec: sampleSeconds,
  }));
}

interface Probe {
  index: number;
  width: number;
  height: number;
  /** The short side, as ProbePoint.height. */
  shortSide: number;
  profile: string;
  crf: number;
  file: string;
}

/** Probe encodes of `source`, scored; see the module comment for every default. */
export async function probeContent(
  source: ContentProbeSource,
  settings: ContentProbeSettings = {},
): Promise<ContentProbeResult> {
  const started = performance.now();
  checkSource(source);
  const samples = planSamples(source.durationSec, settings);
  const crfs = [...new Set(settings.crfs ?? DEFAULT_PROBE_CRFS)];
  if (crfs.length === 0 || crfs.some((crf) => !(Number.isFinite(crf) && crf >= 0 && crf <= 51))) {
    throw settingsError('crfs', `must be one or more numbers in 0–51, got [${crfs.join(', ')}]`);
  }
  const preset = settings.preset ?? DEFAULT_PROBE_PRESET;
  if (!/^[a-z]+$/.test(preset)) throw settingsError('preset', `is not an x264 preset name: ${preset}`);
  const displayHeight = settings.displayHeight ?? DEFAULT_DISPLAY_HEIGHT;
  if (!(Number.isInteger(displayHeight) && displayHeight >= 16 && displayHeight <= 4320)) {
    throw settingsError('displayHeight', `must be an integer in 16–4320, got ${displayHeight}`);
  }
  const resolutions = probeResolutions(source, settings.heights);
  const frameRate = outputFrameRate(source.frameRate);
  const display = displaySize(source, displayHeight);

  const dir = await mkdtemp(path.join(settings.workDir ?? tmpdir(), 'content-probe-'));
  try {
    const probes: Probe[] = resolutions.flatMap((r, ri) =>
      crfs.map((crf, ci) => ({
        ...r,
        index: ri * crfs.length + ci,
        crf,
        file: path.join(dir, `probe_${r.shortSide}p_crf${crf}.h264`),
      })),
    );
    const sampledSec = samples.reduce((sum, s) => sum + s.durationSec, 0);
    const run = (args: string[]) =>
      runFfmpeg(args, {
        niceness: settings.niceness ?? DEFAULT_NICENESS,
        timeoutSec: encodeTimeoutSec(sampledSec, probes.length),
        signal: settings.signal,
      });
    const encoded = await run(encodeArgs(source, samples, frameRate, probes, preset));
    const scored = await run(scoreArgs(source, samples, frameRate, probes, display));
    const scores = parseScores(scored.stderr, probes.length);
    const points: ProbePoint[] = [];
    for (const probe of probes) {
      const bytes = (await stat(probe.file)).size;
      if (bytes === 0) throw new ContentProbeError('ERR_PROBE_OUTPUT', `probe ${probe.file} is empty`);
      const score = scores[probe.index] as { psnrDb: number; ssim: number };
      points.push({
        height: probe.shortSide,
        width: Math.max(probe.width, probe.height),
        crf: probe.crf,
        bitrateKbps: round3((bytes * 8) / sampledSec / 1000),
        psnrDb: score.psnrDb,
        ssim: score.ssim,
      });
    }
    return {
      points,
      samples,
      sampledSec,
      display,
      codec: 'h264',
      preset,
      cost: {
        cpuSec: round3(encoded.cpuSec + scored.cpuSec),
        encodeCpuSec: encoded.cpuSec,
        scoreCpuSec: scored.cpuSec,
        wallSec: round3((performance.now() - started) / 1000),
        peakRssKb: Math.max(encoded.maxRssKb, scored.maxRssKb),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function checkDuration(durationSec: number): void {
  if (!(Number.isFinite(durationSec) && durationSec > 0)) {
    throw new ContentProbeError(
      'ERR_PROBE_SOURCE_DURATION',
      `source duration must be a finite number of seconds > 0, got ${durationSec}`,
    );
  }
}

function checkSource(source: ContentProbeSource): void {
  checkDuration(source.durationSec);
  for (const side of ['width', 'height'] as const) {
    const value = source[side];
    // 16…4096: what inspectSource admits (MAX_PIXELS is the square of the largest side).
    if (!(Number.isInteger(value) && value >= 16 && value * value <= MAX_PIXELS)) {
      throw new ContentProbeError(
        'ERR_PROBE_SOURCE_DIMENSIONS',
        `source ${side} must be an integer in 16–${Math.sqrt(MAX_PIXELS)}, got ${value}`,
      );
    }
  }
  if (source.frameRate !== undefined && !(Number.isFinite(source.frameRate) && source.frameRate > 0)) {
    throw new ContentProbeError(
      'ERR_PROBE_SOURCE_INPUT',
      `source frame rate must be > 0 when known, got ${source.frameRate}`,
    );
  }
  if (source.input === '' || source.input.startsWith('-')) {
    throw new ContentProbeError(
      'ERR_PROBE_SOURCE_INPUT',
      `source input must be a file path, got "${source.input}"`,
    );
  }
  const demuxer = source.formatName.split(',')[0] ?? '';
  if (!ACCEPTED_FORMATS.split(',').includes(demuxer)) {
    throw new ContentProbeError(
      'ERR_PROBE_SOURCE_INPUT',
      `source format "${source.formatName}" is not an accepted video container`,
    );
  }
}

function settingsError(field: string, reason: string): ContentProbeError {
  return new ContentProbeError('ERR_PROBE_SETTINGS', `${field} ${reason}`);
}

/** The ladder's fitting applied to the probe heights, with the default ladder's profile per height. */
function probeResolutions(
  source: ContentProbeSource,
  heights: readonly number[] = DEFAULT_LADDER.rungs.map((r) => r.height),
): Omit<Probe, 'index' | 'crf' | 'file'>[] {
  if (heights.length === 0 || heights.some((h) => !(Number.isInteger(h) && h >= 16 && h <= 4320))) {
    throw settingsError('heights', `must be one or more integers in 16–4320, got [${heights.join(', ')}]`);
  }
  const ladder: Ladder = {
    ...DEFAULT_LADDER,
    rungs: [...new Set(heights)].map((height) => {
      const profile = DEFAULT_LADDER.rungs.find((r) => r.height === height)?.profile;
      return h264Rung(height, 1, profile);
    }),
  };
  const short = Math.min(source.width, source.height);
  // fitLadder adds the source's own size when fewer than two heights fit; a probe set keeps only
  // the heights asked for, unless none fits (a source smaller than them all: its own size).
  const fitted = fitLadder(source, ladder);
  const asked = fitted.filter((r) => heights.includes(r.shortSide));
  return (asked.length > 0 ? asked : fitted.filter((r) => r.shortSide <= short).slice(-1)).map((r) => ({
    width: r.width,
    height: r.height,
    shortSide: r.shortSide,
    profile: r.profile,
  }));
}

function displaySize(
  source: { width: number; height: number },
  shortSide: number,
): { width: number; height: number } {
  const portrait = source.height > source.width;
  const short = Math.min(source.width, source.height);
  const long = Math.max(source.width, source.height);
  const longSide = 2 * Math.round((long * shortSide) / short / 2);
  return portrait ? { width: shortSide, height: longSide } : { width: longSide, height: shortSide };
}

/** The samples as inputs, decoded and joined into one constant-rate 4:2:0 stream labelled `[src]`. */
function sampleInputs(
  source: ContentProbeSource,
  samples: readonly ProbeSample[],
  frameRate: number,
): { args: string[]; graph: string } {
  const demuxer = source.formatName.split(',')[0] as string;
  const args = samples.flatMap((s) => [
    ...SAFE_INPUT,
    ...['-max_pixels', String(MAX_PIXELS), '-f', demuxer],
    ...['-ss', s.startSec.toFixed(3), '-t', s.durationSec.toFixed(3), '-i', source.input],
  ]);
  const joined =
    samples.length === 1
      ? '[0:v:0]'
      : `${samples.map((_, i) => `[${i}:v:0]`).join('')}concat=n=${samples.length}:v=1:a=0,`;
  // fps first, as the ladder encode: a variable-rate source becomes the ladder's constant rate.
  return { args, graph: `${joined}fps=${rateExpression(frameRate)},format=yuv420p` };
}

function encodeArgs(
  source: ContentProbeSource,
  samples: readonly ProbeSample[],
  frameRate: number,
  probes: readonly Probe[],
  preset: string,
): string[] {
  const inputs = sampleInputs(source, samples, frameRate);
  const bySize = new Map<string, Probe[]>();
  for (const probe of probes) {
    const key = `${probe.width}x${probe.height}`;
    bySize.set(key, [...(bySize.get(key) ?? []), probe]);
  }
  const groups = [...bySize.values()];
  const graph = [
    `${inputs.graph},split=${groups.length}${groups.map((_, g) => `[r${g}]`).join('')}`,
    ...groups.map((group, g) => {
      const first = group[0] as Probe;
      return `[r${g}]scale=w=${first.width}:h=${first.height},setsar=1,split=${group.length}${group.map((p) => `[e${p.index}]`).join('')}`;
    }),
  ].join(';');
  const gop = Math.max(1, Math.round(frameRate * KEYFRAME_SECONDS));
  // An IDR at each sample's start and every 2 s within it, as the ladder's GOPs.
  const keyframes: number[] = [];
  let offset = 0;
  for (const s of samples) {
    for (let t = 0; t < s.durationSec - 1e-6; t += KEYFRAME_SECONDS) keyframes.push(round3(offset + t));
    offset += s.durationSec;
  }
  return [
    ...['-nostdin', '-hide_banner', '-nostats', '-benchmark', '-v', 'info'],
    ...inputs.args,
    ...['-filter_complex', graph],
    ...probes.flatMap((p) => [
      ...['-map', `[e${p.index}]`, '-map_metadata', '-1', '-an', '-sn', '-dn'],
      ...['-c:v', 'libx264', '-preset', preset, '-profile:v', p.profile, '-crf', String(p.crf)],
      ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-flags', '+cgop'],
      ...['-force_key_frames', keyframes.join(','), '-f', 'h264', '-y', p.file],
    ]),
  ];
}

function scoreArgs(
  source: ContentProbeSource,
  samples: readonly ProbeSample[],
  frameRate: number,
  probes: readonly Probe[],
  display: { width: number; height: number },
): string[] {
  const inputs = sampleInputs(source, samples, frameRate);
  // Frame n of a probe is frame n of the samples: times are renumbered so the metrics pair them.
  const renumber = `settb=AVTB,setpts=N/(${rateExpression(frameRate)})/TB`;
  const toDisplay = `scale=w=${display.width}:h=${display.height}:flags=bicubic,format=yuv420p`;
  const graph = [
    `${inputs.graph},${renumber},${toDisplay},split=${probes.length * 2}${probes.map((p) => `[rp${p.index}][rs${p.index}]`).join('')}`,
    ...probes.map((p, i) => {
      const input = samples.length + i;
      return [
        `[${input}:v:0]${renumber},${toDisplay},split[dp${p.index}][ds${p.index}]`,
        `[dp${p.index}][rp${p.index}]psnr@p${p.index}`,
        `[ds${p.index}][rs${p.index}]ssim@s${p.index}`,
      ].join(';');
    }),
  ].join(';');
  return [
    ...['-nostdin', '-hide_banner', '-nostats', '-benchmark', '-v', 'info'],
    ...inputs.args,
    ...probes.flatMap((p) => ['-protocol_whitelist', 'file', '-f', 'h264', '-i', p.file]),
    ...['-filter_complex', graph, '-f', 'null', '-'],
  ];
}

const PSNR_LINE = /\[psnr@p(\d+) @ [^\]]*\] PSNR y:(inf|[\d.]+)/g;
const SSIM_LINE = /\[ssim@s(\d+) @ [^\]]*\] SSIM Y:([\d.]+)/g;

function parseScores(stderr: string, count: number): { psnrDb: number; ssim: number }[] {
  const psnr = new Map<number, number>();
  const ssim = new Map<number, number>();
  for (const m of stderr.matchAll(PSNR_LINE)) {
    psnr.set(Number(m[1]), m[2] === 'inf' ? MAX_PSNR_DB : Math.min(MAX_PSNR_DB, Number(m[2])));
  }
  for (const m of stderr.matchAll(SSIM_LINE)) ssim.set(Number(m[1]), Number(m[2]));
  return Array.from({ length: count }, (_, i) => {
    const psnrDb = psnr.get(i);
    const score = ssim.get(i);
    if (psnrDb === undefined || score === undefined || !Number.isFinite(psnrDb) || !Number.isFinite(score)) {
      throw new ContentProbeError('ERR_PROBE_OUTPUT', `ffmpeg printed no PSNR/SSIM summary for probe ${i}`);
    }
    return { psnrDb, ssim: score };
  });
}

const BENCH_TIME = /bench: utime=([\d.]+)s stime=([\d.]+)s/;
const BENCH_RSS = /bench: maxrss=(\d+)kB/;

interface FfmpegRun {
  stderr: string;
  cpuSec: number;
  maxRssKb: number;
}

function runFfmpeg(
  args: string[],
  options: { niceness: number; timeoutSec: number; signal: AbortSignal | undefined },
): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    execFile(
      'nice',
      ['-n', String(options.niceness), 'ffmpeg', ...args],
      {
        timeout: options.timeoutSec * 1000,
        maxBuffer: OUTPUT_LIMIT_BYTES,
        killSignal: 'SIGKILL',
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (err, _stdout, stderr) => {
        if (err) {
          const failure = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          const how =
            failure.name === 'AbortError'
              ? 'was aborted'
              : failure.killed
                ? `was killed after ${options.timeoutSec} s`
                : `failed (${failure.code ?? 'no exit code'})`;
          // ffmpeg's last words, not the command line (long, and full of local paths).
          const lastWords = stderr
            .split('\n')
            .filter((l) => l.trim() !== '' && !l.startsWith('bench:'))
            .slice(-3)
            .join(' | ');
          return reject(new ContentProbeError('ERR_PROBE_FFMPEG', `probe ffmpeg ${how}: ${lastWords}`));
        }
        const time = BENCH_TIME.exec(stderr);
        if (!time)
          return reject(new ContentProbeError('ERR_PROBE_OUTPUT', 'ffmpeg printed no -benchmark line'));
        resolve({
          stderr,
          cpuSec: round3(Number(time[1]) + Number(time[2])),
          maxRssKb: Number(BENCH_RSS.exec(stderr)?.[1] ?? 0),
        });
      },
    );
  });
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
