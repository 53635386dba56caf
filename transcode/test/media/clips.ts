/** Short generated sources for the media matrix: ffmpeg lavfi only, nothing downloaded. */
import { run } from '../helpers.js';

export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  audio: boolean;
  /** Starts with a second of black (the poster must not be that). */
  blackStart?: boolean;
  tenBit?: boolean;
  /** Frames dropped irregularly after the first second, stored with variable timestamps. */
  variableFrameRate?: boolean;
}

export async function makeMatrixClip(file: string, spec: ClipSpec): Promise<void> {
  const size = `${spec.width}x${spec.height}`;
  const picture = `testsrc2=size=${size}:rate=${spec.fps}:duration=${spec.seconds}`;
  const chains = spec.blackStart
    ? [
        `color=c=black:size=${size}:rate=${spec.fps}:duration=1[b]`,
        `${picture}[t]`,
        '[b][t]concat=n=2:v=1:a=0[pre]',
      ]
    : [`${picture}[pre]`];
  const vfr = spec.variableFrameRate ? ",select='lt(n\\,30)+not(mod(n\\,3))+eq(mod(n\\,7)\\,1)'" : '';
  // 4:2:0 needs even sizes, so an odd-sized source is stored 4:4:4 (as some cameras and screen
  // recorders do); the ladder then has to round it down itself.
  const odd = spec.width % 2 === 1 || spec.height % 2 === 1;
  const pixelFormat = spec.tenBit ? 'yuv420p10le' : odd ? 'yuv444p' : 'yuv420p';
  chains.push(`[pre]format=${pixelFormat}${vfr}[v]`);
  const seconds = spec.seconds + (spec.blackStart ? 1 : 0);
  await run('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-filter_complex', chains.join(';')],
    ...(spec.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`] : []),
    ...['-map', '[v]', ...(spec.audio ? ['-map', '0:a'] : [])],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18'],
    ...(spec.tenBit ? ['-profile:v', 'high10'] : []),
    ...(spec.variableFrameRate ? ['-fps_mode', 'vfr'] : []),
    ...(spec.audio ? ['-c:a', 'aac'] : []),
    file,
  ]);
}
