import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A generated test clip (nothing downloaded): moving test pattern plus a tone. A high bitrate makes
 * the 20 s clip big enough (> 15 MB) to upload in three chunks of ≥ 5 MiB, S3's minimum part size.
 */
export async function generateClip(
  file: string,
  {
    seconds,
    width,
    height,
    bitrate = '6M',
  }: { seconds: number; width: number; height: number; bitrate?: string },
): Promise<void> {
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=30`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    bitrate,
    '-maxrate',
    bitrate,
    '-bufsize',
    bitrate,
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    file,
  ]);
}
