/**
 * A clip made by ffmpeg, nothing downloaded: its moving test pattern and a tone, H.264/AAC in a
 * fast-start MP4. The demo video is one; the end-to-end tests make theirs the same way.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPatternClip {
  seconds: number;
  width: number;
  height: number;
  toneHz?: number;
  /** A constant bitrate (sizes a file, e.g. for multipart uploads) or a quality (crf). */
  video:
    | { preset: 'ultrafast' | 'veryfast'; bitrate: string }
    | { preset: 'ultrafast' | 'veryfast'; crf: number };
}

export async function generateTestPatternClip(file: string, clip: TestPatternClip): Promise<void> {
  const { video } = clip;
  const rate =
    'bitrate' in video
      ? ['-b:v', video.bitrate, '-maxrate', video.bitrate, '-bufsize', video.bitrate]
      : ['-crf', String(video.crf)];
  // biome-ignore format: option and value side by side
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${clip.width}x${clip.height}:rate=30`,
    '-f', 'lavfi', '-i', `sine=frequency=${clip.toneHz ?? 440}:sample_rate=48000`,
    '-t', String(clip.seconds),
    '-c:v', 'libx264', '-preset', video.preset, ...rate, '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k',
    '-movflags', '+faststart',
    file,
  ]);
}
