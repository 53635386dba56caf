/**
 * Transcode benchmark: the same clips and the same ladder through
 *   - seed: one ffmpeg per rendition, `-preset medium -b:v`, MPEG-TS HLS (the pipeline we replaced);
 *   - ours: encodeAndPackage — one decode, every rung, capped VBR, aligned 2 s closed GOPs, CMAF,
 *     plus poster and storyboard — at x264 `medium` (equal-quality comparison) and `veryfast`
 *     (the default ladder's preset).
 * Reports throughput (content seconds per wall second), CPU seconds, peak memory, per-rung PSNR/SSIM
 * against the source and the bitrate actually spent, and the ratios ours/seed.
 *
 *   npm run bench:transcode -w bench      → bench/results/transcode.json + a markdown table
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { ladderFolder } from '@streamloop/core/object-layout';
import type { Ladder } from '@streamloop/core/schemas/ladder';
import { fitLadder } from '@streamloop/transcode/fit-ladder';
import { type BenchClip, CLIP_SECONDS, makeBenchClips } from './bench-clips.js';
import { measure, type ProcessCost, sequence } from './measure-process.js';
import { joinRung, type RungQuality, rungQuality } from './rendition-quality.js';

const RESULTS = fileURLToPath(new URL('../../results/transcode.json', import.meta.url));
const ENCODE_MODULE = pathToFileURL(
  createRequire(import.meta.url).resolve('@streamloop/transcode/encode-and-package'),
).href;

interface PipelineResult {
  pipeline: string;
  cost: ProcessCost;
  throughput: number;
  rungs: (RungQuality & { name: string; targetKbps: number })[];
}

async function runSeed(clip: BenchClip, out: string): Promise<ProcessCost> {
  const costs: ProcessCost[] = [];
  for (const r of fitLadder(clip, DEFAULT_LADDER)) {
    const dir = path.join(out, r.name);
    await mkdir(dir, { recursive: true });
    costs.push(
      await measure('ffmpeg', [
        ...['-v', 'error', '-nostdin', '-y', '-i', clip.file, '-vf', `scale=w=${r.width}:h=${r.height}`],
        ...['-c:v', 'libx264', '-preset', 'medium', '-b:v', `${r.videoBitrateKbps}k`],
        ...['-c:a', 'aac', '-b:a', '128k', '-f', 'hls', '-hls_time', '6', '-hls_playlist_type', 'vod'],
        ...['-hls_segment_filename', path.join(dir, 'seg_%03d.ts'), path.join(dir, 'index.m3u8')],
      ]),
    );
  }
  return sequence(costs);
}

async function runOurs(clip: BenchClip, out: string, ladder: Ladder): Promise<ProcessCost> {
  // The encode writes a video's folder; its ladder's subfolder becomes `out`, laid out like the seed's.
  const videoDir = `${out}-video`;
  await mkdir(videoDir, { recursive: true });
  // A plain node process around the real entry point, so its cost includes our packaging work.
  const script = [
    `const { encodeAndPackage } = await import(${JSON.stringify(ENCODE_MODULE)});`,
    `await encodeAndPackage(${JSON.stringify({
      input: clip.file,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: CLIP_SECONDS,
      width: clip.width,
      height: clip.height,
      frameRate: 30,
      hasAudio: true,
    })}, ${JSON.stringify({ outputDir: videoDir, ladder })}, { niceness: 0 });`,
  ].join('\n');
  const cost = await measure(process.execPath, ['--input-type=module', '-e', script]);
  await rename(path.join(videoDir, ladderFolder(ladder.id)), out);
  await rm(videoDir, { recursive: true, force: true });
  return cost;
}

async function qualityOf(clip: BenchClip, out: string, scratch: string): Promise<PipelineResult['rungs']> {
  const rungs: PipelineResult['rungs'] = [];
  for (const r of fitLadder(clip, DEFAULT_LADDER)) {
    const joined = await joinRung(
      path.join(out, r.name),
      path.join(scratch, `${path.basename(out)}-${r.name}`),
    );
    rungs.push({
      name: r.name,
      targetKbps: r.videoBitrateKbps,
      ...(await rungQuality(joined, clip.file, r, CLIP_SECONDS)),
    });
  }
  return rungs;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'streamloop-bench-transcode-'));
  try {
    const clips = await makeBenchClips(work);
    const variants: { pipeline: string; run: (clip: BenchClip, out: string) => Promise<ProcessCost> }[] = [
      { pipeline: 'seed (ffmpeg per rung, medium, TS)', run: runSeed },
      {
        pipeline: 'ours (one decode, medium, CMAF)',
        run: (clip, out) =>
          runOurs(clip, out, { ...DEFAULT_LADDER, presets: { ...DEFAULT_LADDER.presets, h264: 'medium' } }),
      },
      {
        pipeline: 'ours (one decode, veryfast, CMAF)',
        run: (clip, out) => runOurs(clip, out, DEFAULT_LADDER),
      },
    ];
    const results: { clip: string; pipelines: PipelineResult[] }[] = [];
    for (const [c, clip] of clips.entries()) {
      const pipelines: PipelineResult[] = [];
      // Alternate the order per clip so neither side always runs on a warmer (or busier) machine.
      const order = c % 2 === 0 ? variants : [...variants].reverse();
      for (const [v, variant] of order.entries()) {
        const out = path.join(work, `c${c}-v${v}`);
        process.stderr.write(`${clip.name}: ${variant.pipeline}\n`);
        const cost = await variant.run(clip, out);
        const rungs = await qualityOf(clip, out, work);
        pipelines.push({ pipeline: variant.pipeline, cost, throughput: CLIP_SECONDS / cost.wallSec, rungs });
        await rm(out, { recursive: true, force: true });
      }
      pipelines.sort(
        (a, b) =>
          variants.findIndex((v) => v.pipeline === a.pipeline) -
          variants.findIndex((v) => v.pipeline === b.pipeline),
      );
      results.push({ clip: clip.name, pipelines });
    }
    const summary = results.flatMap(({ clip, pipelines }) => {
      const seed = pipelines[0]!;
      return pipelines.slice(1).map((ours) => ({
        clip,
        pipeline: ours.pipeline,
        throughputRatio: round(ours.throughput / seed.throughput),
        cpuRatio: round(ours.cost.cpuSec / seed.cost.cpuSec),
        peakMemoryRatio: round(ours.cost.peakRssMb / seed.cost.peakRssMb),
        psnrDeltaDbPerRung: ours.rungs.map((r, i) => round(r.psnrDb - seed.rungs[i]!.psnrDb)),
        ssimDeltaPerRung: ours.rungs.map((r, i) => round(r.ssim - seed.rungs[i]!.ssim, 4)),
        bitrateVsLadderPerRung: ours.rungs.map((r) => round(r.videoKbps / r.targetKbps)),
      }));
    });
    const report = {
      generatedAt: new Date().toISOString(),
      machine: '2 shared cores (other helpers ran concurrently: absolute times are noisy, ratios less so)',
      clipSeconds: CLIP_SECONDS,
      ladder: { id: DEFAULT_LADDER.id, version: DEFAULT_LADDER.version, rungs: DEFAULT_LADDER.rungs },
      results: results.map(({ clip, pipelines }) => ({
        clip,
        pipelines: pipelines.map((p) => ({
          pipeline: p.pipeline,
          wallSec: round(p.cost.wallSec),
          cpuSec: round(p.cost.cpuSec),
          peakRssMb: round(p.cost.peakRssMb, 0),
          throughputContentSecPerWallSec: round(p.throughput, 3),
          rungs: p.rungs.map((r) => ({
            name: r.name,
            targetKbps: r.targetKbps,
            videoKbps: round(r.videoKbps, 0),
            psnrDb: round(r.psnrDb),
            ssim: round(r.ssim, 4),
          })),
        })),
      })),
      summary,
    };
    await mkdir(path.dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    const table = [
      '| clip | pipeline | throughput × | CPU × | peak mem × | ΔPSNR dB per rung | bitrate / ladder per rung |',
      '|---|---|---|---|---|---|---|',
      ...summary.map(
        (s) =>
          `| ${s.clip} | ${s.pipeline} | ${s.throughputRatio} | ${s.cpuRatio} | ${s.peakMemoryRatio} | ${s.psnrDeltaDbPerRung.join(' / ')} | ${s.bitrateVsLadderPerRung.join(' / ')} |`,
      ),
    ].join('\n');
    process.stdout.write(`${table}\n\nfull results: ${RESULTS}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
