/**
 * The per-title bench's sources, generated with ffmpeg's lavfi and stored near-lossless (x264
 * ultrafast, QP 6; the grainy clip QP 18), 1920×1080 at 30 fps with a 330 Hz tone (the service's titles have audio):
 * - slides: a flat blue page, a title, a rule and two bullet lines that appear one after the other;
 *   the slide number changes every 4 s (a lecture or a deck);
 * - animation: flat sky and ground, an orange square hopping across and a yellow "sun" circling
 *   (cel animation: large flat areas, hard edges, little texture);
 * - talking head: a still frame (a static two-colour gradient, a "face" and "shoulders" boxes) with
 *   one small moving region, a 320×180 cellular automaton where the mouth is (2.8 % of the picture;
 *   no sensor noise, so this is the easy end of real talking heads);
 * - high motion: testsrc2 (scrolling colour pattern, moving text) under strong temporal noise
 *   (`noise=alls=30:allf=t`, film grain everywhere, every frame new).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export type ClipId = 'slides' | 'animation' | 'talking-head' | 'high-motion';
export const CLIP_IDS: readonly ClipId[] = ['slides', 'animation', 'talking-head', 'high-motion'];
export const LOW_COMPLEXITY: readonly ClipId[] = ['slides', 'animation', 'talking-head'];

export interface PerTitleClip {
  id: ClipId;
  file: string;
  width: number;
  height: number;
  durationSec: number;
  frameRate: number;
  /** The lavfi graph it was made from, for the report. */
  generator: string;
}

const WIDTH = 1920;
const HEIGHT = 1080;
const RATE = 30;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** Inputs and graph per clip; every source is bounded by `d` so the graph ends. */
function generator(id: ClipId, d: number): { inputs: string[]; graph?: string } {
  const size = `s=${WIDTH}x${HEIGHT}:r=${RATE}:d=${d}`;
  switch (id) {
    case 'slides': {
      const slide = '%{eif\\:floor(t/4)+1\\:d}';
      return {
        inputs: [
          [
            `color=c=0x1f3b73:${size}`,
            `drawtext=fontfile=${FONT}:text='Slide ${slide}':fontsize=110:fontcolor=white:x=160:y=140`,
            'drawbox=x=160:y=330:w=1400:h=8:color=white@1:t=fill',
            `drawtext=fontfile=${FONT}:text='- point one of slide ${slide}':fontsize=64:fontcolor=0xdddddd:x=200:y=420:enable='gte(mod(t,4),1)'`,
            `drawtext=fontfile=${FONT}:text='- a second point':fontsize=64:fontcolor=0xdddddd:x=200:y=540:enable='gte(mod(t,4),2)'`,
          ].join(','),
        ],
      };
    }
    case 'animation':
      return {
        inputs: [
          `color=c=0x87ceeb:${size}`,
          `color=c=0xff8c00:s=320x320:r=${RATE}:d=${d}`,
          `color=c=0x2e8b57:s=${WIDTH}x260:r=${RATE}:d=${d}`,
          `color=c=0xffd700:s=180x180:r=${RATE}:d=${d},geq=lum='p(X,Y)':a='if(lt(hypot(X-90,Y-90),90),255,0)',format=yuva420p`,
        ],
        graph: [
          '[0][2]overlay=x=0:y=820:shortest=1[b1]',
          "[b1][1]overlay=x='mod(240*t,2240)-320':y='500-120*abs(sin(2*t))':shortest=1[b2]",
          "[b2][3]overlay=x='1500+120*cos(t)':y='120+60*sin(t)':shortest=1",
        ].join(';'),
      };
    case 'talking-head':
      return {
        inputs: [
          `gradients=${size}:speed=0.00001:c0=0x303848:c1=0x706858:seed=7`,
          `cellauto=s=160x90:r=${RATE}:rule=110,scale=320:180:flags=neighbor,trim=duration=${d}`,
        ],
        graph: [
          '[0]drawbox=x=760:y=240:w=400:h=520:color=0xc09070@1:t=fill,drawbox=x=660:y=760:w=600:h=320:color=0x283050@1:t=fill[bg]',
          '[bg][1]overlay=x=800:y=560:shortest=1',
        ].join(';'),
      };
    case 'high-motion':
      return { inputs: [`testsrc2=${size},noise=alls=30:allf=t`] };
  }
}

export async function makeClip(dir: string, id: ClipId, durationSec: number): Promise<PerTitleClip> {
  const file = path.join(dir, `${id}-${durationSec}s.mp4`);
  const { inputs, graph } = generator(id, durationSec);
  await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-nostdin', '-y'],
      ...inputs.flatMap((input) => ['-f', 'lavfi', '-i', input]),
      ...['-f', 'lavfi', '-i', `sine=frequency=330:duration=${durationSec}`],
      ...(graph === undefined ? ['-map', '0:v'] : ['-filter_complex', `${graph}[v]`, '-map', '[v]']),
      ...['-map', `${inputs.length}:a`],
      // Grain at QP 6 would be ~700 Mbit/s: the noisy clip is kept at QP 18 (still ~10× any rung).
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', id === 'high-motion' ? '18' : '6'],
      ...['-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '192k', '-shortest', file],
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return {
    id,
    file,
    width: WIDTH,
    height: HEIGHT,
    durationSec,
    frameRate: RATE,
    generator: [...inputs, ...(graph === undefined ? [] : [graph])].join(' | '),
  };
}

/**
 * A long title made cheaply: the clip repeated (`-stream_loop`, stream copy) to `durationSec`. Its
 * content repeats, which is fine for what it measures (the probe's share of the encode's CPU).
 */
export async function makeLongClip(
  dir: string,
  clip: PerTitleClip,
  durationSec: number,
): Promise<PerTitleClip> {
  const file = path.join(dir, `${clip.id}-long-${durationSec}s.mp4`);
  const loops = Math.ceil(durationSec / clip.durationSec) - 1;
  await run('ffmpeg', [
    ...['-v', 'error', '-nostdin', '-y', '-stream_loop', String(loops), '-i', clip.file],
    ...['-t', String(durationSec), '-c', 'copy', file],
  ]);
  return { ...clip, file, durationSec, generator: `${clip.generator} (looped to ${durationSec} s)` };
}
