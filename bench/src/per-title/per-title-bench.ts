/**
 * Per-title ladder benchmark (issue 13, "Benchmark"): generated titles (per-title-clips.ts), each
 *   1. probed with content-probe's defaults (its CPU: ffmpeg's own -benchmark, and this process's
 *      children CPU across the call — the same method as the encodes);
 *   2. encoded with the DEFAULT ladder through encodeAndPackage (the baseline, same run);
 *   3. planned content-only as the service plans (per-title-plan's planPerTitle: REFERENCE_AUDIENCE,
 *      DEFAULT_PLAN_CONSTRAINTS, CANDIDATE_GRID_STEP; the default encode's record as the current
 *      ladder), made a ladder (perTitleLadderDefinition) and encoded the same way;
 *   4. both ladders scored per rung (delivered-quality.ts: PSNR at the probe's 1920×1080 display,
 *      bitrate from the record), and compared by BD-rate (transcode per-title/bd-rate.ts).
 * Then the probe's share of the default encode's CPU on one longer title, and, SYNTHETIC, the
 * audience-aware vs content-only ladders on simulated audiences (audience-evaluation.ts).
 *
 *   npm run bench:per-title -w bench   → bench/results/per-title.json + tables on stdout
 * Knobs: PER_TITLE_CLIP_SECONDS (20), PER_TITLE_CLIPS (slides,animation,talking-head,high-motion),
 * PER_TITLE_LONG_SECONDS (240; 0 skips), PER_TITLE_LONG_CLIP (animation), PER_TITLE_SESSIONS (300),
 * PER_TITLE_AUDIENCE_CLIPS (animation,high-motion).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { Ladder, LadderRecord } from '@streamloop/core/schemas/ladder';
import { encodeAndPackage, type PackageSource } from '@streamloop/transcode/encode-and-package';
import { bdRate } from '@streamloop/transcode/per-title/bd-rate';
import { type ContentProbeResult, probeContent } from '@streamloop/transcode/per-title/content-probe';
import {
  CANDIDATE_GRID_STEP,
  DEFAULT_PLAN_CONSTRAINTS,
  perTitleLadderDefinition,
  planPerTitle,
  REFERENCE_AUDIENCE,
} from '@streamloop/transcode/per-title/per-title-plan';
import { load1, machine } from '../machine.js';
import { compareOnAudiences, type LadderComparison } from './audience-evaluation.js';
import { type DeliveredRung, deliveredQuality, measureChildren } from './delivered-quality.js';
import {
  CLIP_IDS,
  type ClipId,
  LOW_COMPLEXITY,
  makeClip,
  makeLongClip,
  type PerTitleClip,
} from './per-title-clips.js';

const RESULTS = fileURLToPath(new URL('../../results/per-title.json', import.meta.url));
const CLIP_SECONDS = Number(process.env.PER_TITLE_CLIP_SECONDS ?? 20);
const CLIPS = (process.env.PER_TITLE_CLIPS ?? CLIP_IDS.join(',')).split(',') as ClipId[];
const LONG_SECONDS = Number(process.env.PER_TITLE_LONG_SECONDS ?? 240);
const LONG_CLIP = (process.env.PER_TITLE_LONG_CLIP ?? 'animation') as ClipId;
const SESSIONS = Number(process.env.PER_TITLE_SESSIONS ?? 300);
const AUDIENCE_CLIPS = (process.env.PER_TITLE_AUDIENCE_CLIPS ?? 'animation,high-motion').split(
  ',',
) as ClipId[];
/** Issue 13's targets. */
const LOW_COMPLEXITY_BD_RATE_TARGET = -0.25;
const PROBE_CPU_SHARE_TARGET = 0.15;

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (line: string) => process.stderr.write(`${line}\n`);

const sourceOf = (clip: PerTitleClip): PackageSource => ({
  input: clip.file,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: clip.durationSec,
  width: clip.width,
  height: clip.height,
  frameRate: clip.frameRate,
  hasAudio: true,
});

interface Encoded {
  record: LadderRecord;
  cpuSec: number;
  wallSec: number;
  rungs: DeliveredRung[];
}

async function encode(
  clip: PerTitleClip,
  ladder: Ladder,
  dir: string,
  probe: ContentProbeResult,
): Promise<Encoded> {
  await mkdir(dir, { recursive: true });
  const {
    result: record,
    cpuSec,
    wallSec,
  } = await measureChildren(() =>
    encodeAndPackage(sourceOf(clip), { outputDir: dir, ladder }, { niceness: 0 }),
  );
  const rungs = await deliveredQuality(record, dir, clip, probe.display, dir);
  return { record, cpuSec, wallSec, rungs };
}

async function probe(clip: PerTitleClip, work: string) {
  const { result, cpuSec, wallSec } = await measureChildren(() =>
    probeContent(sourceOf(clip), { workDir: work, niceness: 0 }),
  );
  return { result, childrenCpuSec: cpuSec, wallSec };
}

async function benchClip(clip: PerTitleClip, work: string) {
  log(`${clip.id}: probe`);
  const probed = await probe(clip, work);
  log(`${clip.id}: default ladder`);
  const byDefault = await encode(clip, DEFAULT_LADDER, path.join(work, `${clip.id}-default`), probed.result);
  const audioKbps = (byDefault.record.audio?.averageBitrate ?? DEFAULT_LADDER.audioBitrateKbps * 1000) / 1000;
  const { plan, hull } = planPerTitle({
    videoId: clip.id,
    points: probed.result.points,
    throughputKbps: REFERENCE_AUDIENCE,
    currentLadder: {
      id: `${DEFAULT_LADDER.id}@${DEFAULT_LADDER.version}`,
      rungs: byDefault.record.renditions.map((r) => ({
        width: Math.max(r.width, r.height),
        height: r.shortSide,
        bitrateKbps: r.averageBitrate / 1000,
      })),
    },
    audioBitrateKbps: audioKbps,
  });
  const ladder: Ladder = { ...perTitleLadderDefinition(clip.id, plan.proposed.rungs), version: 1 };
  log(
    `${clip.id}: per-title ladder ${ladder.rungs.map((r) => `${r.height}p@${r.videoBitrateKbps}`).join(' ')}`,
  );
  const perTitle = await encode(clip, ladder, path.join(work, `${clip.id}-per-title`), probed.result);
  const points = (e: Encoded) => e.rungs.map((r) => ({ bitrateKbps: r.videoKbps, quality: r.psnrDb }));
  const bd = bdRate(points(byDefault), points(perTitle));
  const top = (e: Encoded) => e.rungs[e.rungs.length - 1] as DeliveredRung;
  const lowComplexity = LOW_COMPLEXITY.includes(clip.id);
  return {
    clip: clip.id,
    kind: lowComplexity ? 'low-complexity' : 'high-motion',
    generator: clip.generator,
    durationSec: clip.durationSec,
    probe: {
      points: probed.result.points,
      hullPoints: hull.points.length,
      samples: probed.result.samples,
      ffmpegBenchmarkCpuSec: probed.result.cost.cpuSec,
      childrenCpuSec: round(probed.childrenCpuSec),
      wallSec: round(probed.wallSec),
    },
    plan: { proposed: plan.proposed, current: plan.current, dropped: plan.dropped },
    default: summary(byDefault),
    perTitle: summary(perTitle),
    bdRate: bd === null ? null : { ...bd, bdRate: round(bd.bdRate, 4) },
    topRung: {
      defaultKbps: round(top(byDefault).videoKbps, 0),
      perTitleKbps: round(top(perTitle).videoKbps, 0),
      defaultPsnrDb: round(top(byDefault).psnrDb),
      perTitlePsnrDb: round(top(perTitle).psnrDb),
    },
    probeCpuShare: {
      benchmark: round(probed.result.cost.cpuSec / byDefault.cpuSec, 3),
      children: round(probed.childrenCpuSec / byDefault.cpuSec, 3),
    },
    criteria: lowComplexity
      ? {
          target: `BD-rate ≤ ${LOW_COMPLEXITY_BD_RATE_TARGET * 100} %`,
          held: bd !== null && bd.bdRate <= LOW_COMPLEXITY_BD_RATE_TARGET,
        }
      : { target: 'BD-rate ≤ 0 (never more bits at equal PSNR)', held: bd !== null && bd.bdRate <= 0 },
    audioKbps,
  };
}

function summary(e: Encoded) {
  return {
    ladder: `${e.record.ladderId}@${e.record.ladderVersion}`,
    encodeCpuSec: round(e.cpuSec),
    encodeWallSec: round(e.wallSec),
    rungs: e.rungs.map((r) => ({
      ...r,
      videoKbps: round(r.videoKbps, 0),
      psnrDb: round(r.psnrDb),
    })),
  };
}

async function longTitle(work: string) {
  const short = await makeClip(work, LONG_CLIP, Math.min(CLIP_SECONDS, 20));
  const clip = await makeLongClip(work, short, LONG_SECONDS);
  log(`long ${clip.id} ${LONG_SECONDS} s: probe`);
  const probed = await probe(clip, work);
  log(`long ${clip.id} ${LONG_SECONDS} s: default ladder`);
  const dir = path.join(work, 'long-default');
  await mkdir(dir, { recursive: true });
  const encoded = await measureChildren(() =>
    encodeAndPackage(sourceOf(clip), { outputDir: dir, ladder: DEFAULT_LADDER }, { niceness: 0 }),
  );
  await rm(dir, { recursive: true, force: true });
  return {
    clip: clip.id,
    durationSec: LONG_SECONDS,
    sampledSec: probed.result.sampledSec,
    probeCpuSec: { benchmark: probed.result.cost.cpuSec, children: round(probed.childrenCpuSec) },
    defaultEncodeCpuSec: round(encoded.cpuSec),
    probeCpuShare: {
      benchmark: round(probed.result.cost.cpuSec / encoded.cpuSec, 3),
      children: round(probed.childrenCpuSec / encoded.cpuSec, 3),
    },
    held: probed.childrenCpuSec / encoded.cpuSec <= PROBE_CPU_SHARE_TARGET,
  };
}

function printTables(
  results: Awaited<ReturnType<typeof benchClip>>[],
  audiences: { clip: string; comparisons: LadderComparison[] }[],
  long: Awaited<ReturnType<typeof longTitle>> | null,
): void {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `\n### ${r.clip} (${r.kind}, ${r.durationSec} s)`,
      '| ladder | rung | kbps (target) | PSNR dB |',
      '|---|---|---|---|',
    );
    for (const [name, s] of [
      ['default', r.default],
      ['per-title', r.perTitle],
    ] as const) {
      for (const rung of s.rungs) {
        lines.push(
          `| ${name} | ${rung.width}×${rung.height} | ${rung.videoKbps} (${rung.targetKbps}) | ${rung.psnrDb} |`,
        );
      }
    }
    lines.push(
      `BD-rate per-title vs default: ${r.bdRate === null ? 'no overlap' : `${round(r.bdRate.bdRate * 100, 1)} % over ${round(r.bdRate.overlap.from)}–${round(r.bdRate.overlap.to)} dB`} — ${r.criteria.target}: ${r.criteria.held ? 'held' : 'NOT held'}`,
      `top rung: default ${r.topRung.defaultKbps} kbps / ${r.topRung.defaultPsnrDb} dB, per-title ${r.topRung.perTitleKbps} kbps / ${r.topRung.perTitlePsnrDb} dB`,
      `CPU: probe ${r.probe.childrenCpuSec} s, default encode ${r.default.encodeCpuSec} s, per-title encode ${r.perTitle.encodeCpuSec} s → probe ÷ default encode ${round(r.probeCpuShare.children * 100, 1)} % (target ≤ 15 %; a ${r.durationSec} s clip gets one whole sample)`,
    );
  }
  if (long) {
    lines.push(
      `\n### probe CPU on a ${long.durationSec} s title (${long.clip}, looped)`,
      `probe ${long.probeCpuSec.children} s (${long.sampledSec} s sampled) ÷ default encode ${long.defaultEncodeCpuSec} s = ${round(long.probeCpuShare.children * 100, 1)} % (target ≤ 15 %: ${long.held ? 'held' : 'NOT held'})`,
    );
  }
  for (const a of audiences) {
    lines.push(
      `\n### ${a.clip}: audience-aware vs content-only (synthetic)`,
      '| audience | ladder | rungs kbps | planner PSNR | planner Gbit/viewer-h | QoE | rebuffer % | startup p50 ms | mean kbps | sim Gbit/viewer-h | on-screen PSNR |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const c of a.comparisons) {
      for (const key of ['contentOnly', 'audienceAware'] as const) {
        const s = c.sessions[key];
        const p = c.planner[key];
        lines.push(
          `| ${c.audience} | ${key} | ${c.ladders[key].rungs.map((r) => `${r.height}p@${Math.round(r.bitrateKbps)}`).join(' ')} | ${round(p.expectedQuality)} | ${round(p.expectedBitsPerViewerHour / 1e9, 3)} | ${s.qoeScore} | ${s.rebufferRatio === null ? '–' : round(s.rebufferRatio * 100, 2)} | ${s.startupP50Ms} | ${s.meanBitrateKbps === null ? '–' : Math.round(s.meanBitrateKbps)} | ${round(s.bitsPerViewerHour / 1e9, 3)} | ${s.onScreenPsnrDb === null ? '–' : round(s.onScreenPsnrDb)} |`,
        );
      }
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\nfull results: ${RESULTS}\n`);
}

async function main(): Promise<void> {
  const loadBefore = load1();
  const started = performance.now();
  const work = await mkdtemp(path.join(tmpdir(), 'streamloop-bench-per-title-'));
  try {
    const results: Awaited<ReturnType<typeof benchClip>>[] = [];
    for (const id of CLIPS) {
      log(`${id}: generating ${CLIP_SECONDS} s`);
      const clip = await makeClip(work, id, CLIP_SECONDS);
      results.push(await benchClip(clip, work));
      await rm(clip.file, { force: true });
    }
    const audiences = results
      .filter((r) => AUDIENCE_CLIPS.includes(r.clip))
      .map((r) => ({
        clip: r.clip,
        comparisons: compareOnAudiences({
          videoId: r.clip,
          points: r.probe.points,
          audioBitrateKbps: r.audioKbps,
          contentOnly: r.plan.proposed,
          sessionsPerAudience: SESSIONS,
          sessionPlaySec: 120,
          titleSec: 300,
          seed: `per-title:${r.clip}`,
        }),
      }));
    const long = LONG_SECONDS > 0 ? await longTitle(work) : null;
    const report = {
      generatedAt: new Date().toISOString(),
      command: `PER_TITLE_CLIP_SECONDS=${CLIP_SECONDS} PER_TITLE_CLIPS=${CLIPS.join(',')} PER_TITLE_LONG_SECONDS=${LONG_SECONDS} PER_TITLE_LONG_CLIP=${LONG_CLIP} PER_TITLE_SESSIONS=${SESSIONS} PER_TITLE_AUDIENCE_CLIPS=${AUDIENCE_CLIPS.join(',')} npm run bench:per-title -w bench`,
      machine: machine(loadBefore),
      wallSec: round((performance.now() - started) / 1000, 1),
      method: {
        quality:
          'PSNR-Y (mean MSE) at 1920×1080, rung and source scaled bicubic, as content-probe scores; not VMAF (FACTS.md)',
        bitrate: "the packaged record's averageBitrate per rung (video only)",
        cpu: "children CPU (/proc/self/stat cutime+cstime) across each call, one ffmpeg at a time; the probe's own -benchmark sum beside it",
        bdRate:
          'Bjøntegaard, cubic fit of log-rate in PSNR over the overlapping PSNR range (transcode per-title/bd-rate.ts)',
        plan: {
          audience: 'REFERENCE_AUDIENCE (content-only)',
          constraints: DEFAULT_PLAN_CONSTRAINTS,
          candidateGridStep: CANDIDATE_GRID_STEP,
        },
      },
      clips: results,
      longTitle: long,
      audienceAwareVsContentOnly: {
        synthetic: true,
        sessionsPerAudience: SESSIONS,
        sessionPlaySec: 120,
        results: audiences,
      },
    };
    await mkdir(path.dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    printTables(results, audiences, long);
    process.stdout.write(`load1 before ${round(loadBefore)}, after ${round(load1())}; ${report.wallSec} s\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
