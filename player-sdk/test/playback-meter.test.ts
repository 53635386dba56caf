import { describe, expect, it } from 'vitest';
import { createPlaybackMeter, type PlaybackState, type Scale, scaleOf } from '../src/playback-meter.js';

type Step = [atMs: number, change: PlaybackState | { scale: Scale }];

function run(steps: Step[], takeAt: number) {
  const meter = createPlaybackMeter(0);
  for (const [at, change] of steps) {
    if (typeof change === 'string') meter.set(change, at);
    else meter.setScale(change.scale, at);
  }
  return meter.take(takeAt);
}

describe('playback meter', () => {
  it.each<[string, Step[], number, Partial<ReturnType<typeof run>>]>([
    ['nothing counts before the first frame', [[0, 'idle']], 5000, { playMs: 0, waitMs: 0, pauseMs: 0 }],
    [
      'playing, a stall, playing again, a pause',
      [
        [1000, 'playing'],
        [4000, 'waiting'],
        [4600, 'playing'],
        [6000, 'paused'],
      ],
      9000,
      { playMs: 4400, waitMs: 600, pauseMs: 3000 },
    ],
    [
      'the picture scale counts only while frames advance',
      [
        [0, { scale: 'up' }],
        [0, 'playing'],
        [2000, 'paused'],
        [3000, { scale: 'down' }],
        [5000, 'playing'],
        [6000, { scale: 'same' }],
      ],
      8000,
      { playMs: 5000, upscaleMs: 2000, downscaleMs: 1000, pauseMs: 3000 },
    ],
    [
      'ended counts nowhere',
      [
        [0, 'playing'],
        [1000, 'ended'],
      ],
      9000,
      { playMs: 1000, pauseMs: 0, waitMs: 0 },
    ],
  ])('%s', (_name, steps, takeAt, expected) => {
    expect(run(steps, takeAt)).toMatchObject(expected);
  });

  it('takes whole milliseconds and keeps the remainder for the next take; totals keep everything', () => {
    const meter = createPlaybackMeter(0);
    meter.set('playing', 0);
    expect(meter.take(1000.6).playMs).toBe(1000);
    expect(meter.take(2000.2).playMs).toBe(1000);
    expect(meter.take(2000.4).playMs).toBe(0);
    expect(meter.take(2001.1).playMs).toBe(1);
    expect(meter.totals(3000).playMs).toBe(3000);
  });

  it.each<[string, { width: number; height: number }, { width: number; height: number }, number, Scale]>([
    [
      '360p in a 1280x720 player is upscaled',
      { width: 640, height: 360 },
      { width: 1280, height: 720 },
      1,
      'up',
    ],
    [
      '720p in a 640x360 player is downscaled',
      { width: 1280, height: 720 },
      { width: 640, height: 360 },
      1,
      'down',
    ],
    [
      '720p in 640x360 CSS px on a 2x screen is shown at its size',
      { width: 1280, height: 720 },
      { width: 640, height: 360 },
      2,
      'same',
    ],
    [
      'letterboxed: the narrower side decides',
      { width: 1280, height: 720 },
      { width: 1280, height: 1000 },
      1,
      'same',
    ],
    ['no picture yet', { width: 0, height: 0 }, { width: 640, height: 360 }, 1, undefined],
  ])('%s', (_name, video, player, dpr, expected) => {
    expect(scaleOf(video, player, dpr)).toBe(expected);
  });
});
