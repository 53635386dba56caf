/**
 * What a packaged ladder delivers: each rung's PSNR against the source, scored as the content probe
 * scores (transcode per-title/content-probe.ts): rung and source both scaled to the display with
 * bicubic, 4:2:0, frames renumbered so they pair, ffmpeg's `psnr` summary (PSNR-Y of the mean MSE).
 * One ffmpeg per ladder: the source decoded and scaled once, `split` to every rung's `psnr@pN`.
 * Bitrate: the packaged record's `averageBitrate` (what AVERAGE-BANDWIDTH declares, measured from
 * the segments).
 *
 * CPU of a child: this process's cutime + cstime (/proc/self/stat fields 16–17) across the call,
 * which counts every child reaped meanwhile — exact when one child runs at a time, as here (the
 * encode is one ffmpeg; nothing else runs beside it).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { joinRung } from '../transcode/rendition-quality.js';
import { run } from './per-title-clips.js';

/** Linux USER_HZ; `getconf CLK_TCK` is 100 on every mainstream build. */
const CLOCK_TICKS_PER_SEC = 100;

export async function childrenCpuSec(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SEC;
}

export async function measureChildren<T>(
  work: () => Promise<T>,
): Promise<{ result: T; cpuSec: number; wallSec: number }> {
  const cpuBefore = await childrenCpuSec();
  const started = performance.now();
  const result = await work();
  return {
    result,
    cpuSec: (await childrenCpuSec()) - cpuBefore,
    wallSec: (performance.now() - started) / 1000,
  };
}

export interface DeliveredRung {
  name: string;
  width: number;
  height: number;
  targetKbps: number;
  videoKbps: number;
  psnrDb: number;
}

const PSNR_LINE = /\[psnr@p(\d+) @ [^\]]*\] PSNR y:(inf|[\d.]+)/g;
const MAX_PSNR_DB = 100;

export async function deliveredQuality(
  record: LadderRecord,
  ladderDir: string,
  source: { file: string; frameRate: number },
  display: { width: number; height: number },
  scratch: string,
): Promise<DeliveredRung[]> {
  const folder = record.master.split('/')[0] as string;
  const files: string[] = [];
  for (const r of record.renditions) {
    files.push(
      await joinRung(path.join(ladderDir, folder, r.name), path.join(scratch, `${folder}-${r.name}`)),
    );
  }
  const renumber = `settb=AVTB,setpts=N/${source.frameRate}/TB`;
  const toDisplay = `scale=w=${display.width}:h=${display.height}:flags=bicubic,format=yuv420p`;
  const n = files.length;
  const graph = [
    `[0:v:0]${renumber},${toDisplay},split=${n}${files.map((_, i) => `[s${i}]`).join('')}`,
    ...files.map((_, i) => `[${i + 1}:v:0]${renumber},${toDisplay}[d${i}];[d${i}][s${i}]psnr@p${i}`),
  ].join(';');
  const { stderr } = await run(
    'ffmpeg',
    [
      ...['-nostdin', '-hide_banner', '-nostats', '-i', source.file],
      ...files.flatMap((f) => ['-i', f]),
      ...['-filter_complex', graph, '-f', 'null', '-'],
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const psnr = new Map<number, number>();
  for (const m of stderr.matchAll(PSNR_LINE)) {
    psnr.set(Number(m[1]), m[2] === 'inf' ? MAX_PSNR_DB : Number(m[2]));
  }
  return record.renditions.map((r, i) => {
    const score = psnr.get(i);
    if (score === undefined) throw new Error(`no PSNR summary for rung ${r.name}`);
    return {
      name: r.name,
      width: r.width,
      height: r.shortSide,
      targetKbps: r.videoBitrateKbps,
      videoKbps: r.averageBitrate / 1000,
      psnrDb: score,
    };
  });
}
