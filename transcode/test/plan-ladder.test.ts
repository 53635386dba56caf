import { describe, expect, it } from 'vitest';
import { planLadder } from '../src/plan-ladder.js';

describe('planLadder', () => {
  it.each([
    ['1080p landscape', 1920, 1080, ['640x360', '1280x720']],
    ['720p', 1280, 720, ['640x360', '1280x720']],
    ['480p: the 360 rung plus the source', 854, 480, ['640x360', '854x480']],
    ['exactly 360p: the source and half of it', 640, 360, ['320x180', '640x360']],
    ['tiny 240p: the source and half of it', 320, 240, ['160x120', '320x240']],
    ['portrait 1080x1920', 1080, 1920, ['202x360', '404x720']],
    ['odd dimensions are rounded down to even', 641, 361, ['318x180', '638x360']],
    ['8K', 8192, 4320, ['682x360', '1364x720']],
  ])('%s', (_case, width, height, expected) => {
    expect(planLadder({ width, height }).map((r) => `${r.width}x${r.height}`)).toEqual(expected);
  });

  it.each([
    [1920, 1080],
    [641, 361],
    [100, 5000],
    [5000, 100],
    [16, 16],
  ])('never upscales, keeps even sizes and at least two rungs (%ix%i)', (width, height) => {
    const ladder = planLadder({ width, height });
    expect(ladder.length).toBeGreaterThanOrEqual(2);
    for (const r of ladder) {
      expect(r.width).toBeLessThanOrEqual(width);
      expect(r.height).toBeLessThanOrEqual(height);
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
      expect(r.maxrateKbps).toBeGreaterThan(r.videoBitrateKbps);
    }
    expect(new Set(ladder.map((r) => r.name)).size).toBe(ladder.length);
    expect(ladder.map((r) => r.videoBitrateKbps)).toEqual(
      [...ladder.map((r) => r.videoBitrateKbps)].sort((a, b) => a - b),
    );
  });
});
