/** The bench's sources: 10 s generated clips, stored near-lossless so decoding them costs both sides alike. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export interface BenchClip {
  name: string;
  width: number;
  height: number;
  file: string;
}

const SECONDS = 3;
export const CLIP_SECONDS = SECONDS;

const SOURCES: { name: string; width: number; height: number; lavfi: string }[] = [
  {
    name: '1080p30 high motion (testsrc2 + temporal noise)',
    width: 1920,
    height: 1080,
    lavfi: `testsrc2=size=1920x1080:rate=30:duration=${SECONDS},noise=alls=12:allf=t+u`,
  },
  {
    name: '1080p30 low motion (talking-head-like slow gradients)',
    width: 1920,
    height: 1080,
    lavfi: `gradients=size=1920x1080:rate=30:duration=${SECONDS}:speed=0.002:n=3,drawbox=x=760+20*sin(t):y=300:w=400:h=480:color=0xC09070@1:t=fill`,
  },
  {
    name: '720p30 source (testsrc2)',
    width: 1280,
    height: 720,
    lavfi: `testsrc2=size=1280x720:rate=30:duration=${SECONDS}`,
  },
];

export async function makeBenchClips(dir: string): Promise<BenchClip[]> {
  const clips: BenchClip[] = [];
  for (const [i, source] of SOURCES.entries()) {
    const file = path.join(dir, `clip-${i}.mp4`);
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', source.lavfi],
      ...['-f', 'lavfi', '-i', `sine=frequency=330:duration=${SECONDS}`],
      ...[
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-qp',
        '4',
        '-pix_fmt',
        'yuv420p',
      ],
      ...['-c:a', 'aac', '-b:a', '192k', '-shortest', file],
    ]);
    clips.push({ name: source.name, width: source.width, height: source.height, file });
  }
  return clips;
}
