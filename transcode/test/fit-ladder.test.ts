import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { Ladder } from '@streamloop/core/schemas/ladder';
import { describe, expect, it } from 'vitest';
import { fitLadder, outputFrameRate } from '../src/fit-ladder.js';

const sizes = (width: number, height: number, ladder?: Ladder) =>
  fitLadder({ width, height }, ladder).map((r) => `${r.width}x${r.height}`);

describe('fitLadder', () => {
  it.each([
    ['1080p landscape: every rung', 1920, 1080, ['416x234', '640x360', '852x480', '1280x720', '1920x1080']],
    ['720p: nothing above the source', 1280, 720, ['416x234', '640x360', '852x480', '1280x720']],
    [
      'portrait 1080x1920: rungs on the short side',
      1080,
      1920,
      ['234x416', '360x640', '480x852', '720x1280', '1080x1920'],
    ],
    ['odd 1279x719: rounded down to even', 1279, 719, ['416x234', '640x360', '852x480']],
    ['tiny 320x180: the source and half of it', 320, 180, ['160x90', '320x180']],
  ])('%s', (_case, width, height, expected) => {
    expect(sizes(width, height)).toEqual(expected);
  });

  it.each([
    [1920, 1080],
    [1279, 719],
    [100, 5000],
    [5000, 100],
    [16, 16],
  ])('never upscales, keeps even sizes, aspect and at least two rungs (%ix%i)', (width, height) => {
    const ladder = fitLadder({ width, height });
    expect(ladder.length).toBeGreaterThanOrEqual(2);
    for (const r of ladder) {
      expect(r.width).toBeLessThanOrEqual(width);
      expect(r.height).toBeLessThanOrEqual(height);
      expect([r.width % 2, r.height % 2]).toEqual([0, 0]);
      // Aspect within one even-rounding step of the source's.
      expect(Math.abs(r.width / r.height - width / height)).toBeLessThan(
        (2 / Math.min(r.width, r.height)) * (width / height) + 0.01,
      );
      expect(r.maxrateKbps).toBeGreaterThanOrEqual(r.videoBitrateKbps);
    }
    expect(new Set(ladder.map((r) => r.name)).size).toBe(ladder.length);
  });

  it("adds a fallback under a one-rung per-title ladder at half the rung's bits, not the pixel-scaled budget", () => {
    // A slide deck's plan: 720p at 64 kbit/s. The second rung is half the source (360p); scaled by
    // pixels from 2800 kbit/s at 720p it would get 700 kbit/s, capped at 64 / 2 = 32.
    const oneRung: Ladder = {
      ...DEFAULT_LADDER,
      id: 'pt-slides',
      rungs: [{ ...DEFAULT_LADDER.rungs[0]!, height: 720, videoBitrateKbps: 64 }],
    };
    expect(fitLadder({ width: 1280, height: 720 }, oneRung).map((r) => [r.name, r.videoBitrateKbps])).toEqual(
      [
        ['360p', 32],
        ['720p', 64],
      ],
    );
  });

  it('keeps a cellular rung within 192 kbps with the shared audio (Apple HLS spec)', () => {
    const low = fitLadder({ width: 1920, height: 1080 })[0]!;
    expect(low.maxrateKbps + DEFAULT_LADDER.audioBitrateKbps).toBeLessThanOrEqual(192);
  });

  it('is versioned data: a title ladder can add HEVC and AV1 rungs beside H.264', () => {
    const ladder: Ladder = {
      ...DEFAULT_LADDER,
      id: 'title-42',
      version: 1,
      rungs: [
        ...DEFAULT_LADDER.rungs,
        {
          height: 720,
          codec: 'hevc',
          profile: 'main',
          videoBitrateKbps: 1800,
          maxrateKbps: 1900,
          bufsizeKbps: 2700,
        },
        {
          height: 720,
          codec: 'av1',
          profile: 'main',
          videoBitrateKbps: 1500,
          maxrateKbps: 1600,
          bufsizeKbps: 2250,
        },
      ],
    };
    const names = fitLadder({ width: 1280, height: 720 }, ladder).map((r) => `${r.name}:${r.codec}`);
    expect(names).toEqual([
      '234p:h264',
      '360p:h264',
      '480p:h264',
      '720p-av1:av1',
      '720p-hevc:hevc',
      '720p:h264',
    ]);
  });
});

describe('outputFrameRate', () => {
  it.each([
    [30, 30],
    [29.97, 29.97],
    [60, 60],
    [120, 60],
    [100, 50],
    [undefined, 30],
  ])('%s fps in, %s fps out', (input, expected) => {
    expect(outputFrameRate(input)).toBe(expected);
  });
});
