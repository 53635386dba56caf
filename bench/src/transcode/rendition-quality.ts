/**
 * Per-rung quality against the source: PSNR (Y, average) and SSIM (All) with ffmpeg's filters, the
 * source scaled to the rung's size; and the video bitrate actually spent (sum of video packet sizes).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './bench-clips.js';

export interface RungQuality {
  psnrDb: number;
  ssim: number;
  videoKbps: number;
}

/** One playable file from a rung folder: init + fMP4 segments, or the TS segments, concatenated. */
export async function joinRung(folder: string, out: string): Promise<string> {
  const files = (await readdir(folder)).filter((f) => /^seg_\d+\.(m4s|ts)$/.test(f)).sort();
  const init = files[0]?.endsWith('.m4s') ? [path.join(folder, 'init.mp4')] : [];
  const parts = await Promise.all(
    [...init, ...files.map((f) => path.join(folder, f))].map((f) => readFile(f)),
  );
  const target = `${out}${init.length > 0 ? '.mp4' : '.ts'}`;
  await writeFile(target, Buffer.concat(parts));
  return target;
}

export async function rungQuality(
  rendition: string,
  source: string,
  size: { width: number; height: number },
  durationSec: number,
): Promise<RungQuality> {
  const graph = [
    `[1:v]scale=w=${size.width}:h=${size.height}:flags=bicubic,format=yuv420p,split[r1][r2]`,
    '[0:v]format=yuv420p,split[d1][d2]',
    '[d1][r1]psnr',
    '[d2][r2]ssim',
  ].join(';');
  const { stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-i', rendition, '-i', source, '-lavfi', graph, '-f', 'null', '-'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const psnr = /PSNR y:([\d.]+|inf)/.exec(stderr)?.[1];
  const ssim = /SSIM .*All:([\d.]+)/.exec(stderr)?.[1];
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', rendition],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  // MPEG-TS packets print as `1234,` (an empty side-data column) with blank lines between.
  const bytes = stdout
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((size) => Number.isFinite(size))
    .reduce((sum, size) => sum + size, 0);
  return { psnrDb: Number(psnr), ssim: Number(ssim), videoKbps: (bytes * 8) / durationSec / 1000 };
}
