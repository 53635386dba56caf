/** Audio cut on its own grid, re-bucketed onto the video segments (expected bytes worked out by hand). */
import type { Ladder } from '@streamloop/playback-model/ladder';
import { describe, expect, it } from 'vitest';
import { alignAudio } from '../src/playback-source.js';

const video = [
  { durationSec: 4, bytes: 1000 },
  { durationSec: 4, bytes: 1000 },
];

describe('alignAudio', () => {
  it('moves audio bytes onto the video segments by time overlap, keeping the total', () => {
    const ladder: Ladder = {
      rungs: [{ bandwidth: 1_000_000, width: 640, height: 360, segments: video }],
      audio: {
        initBytes: 50,
        segments: [
          { durationSec: 3, bytes: 300 },
          { durationSec: 3, bytes: 300 },
          { durationSec: 2.2, bytes: 220 },
        ],
      },
    };
    // 0–4 s: all of the first (300) + 1 s of the second (100); 4–8 s: 2 s of the second (200)
    // + the third, including the 0.2 s past the video's end (220).
    expect(alignAudio(ladder).audio).toEqual({
      initBytes: 50,
      segments: [
        { durationSec: 4, bytes: 400 },
        { durationSec: 4, bytes: 420 },
      ],
    });
  });

  it('leaves audio cut with the video as it is', () => {
    const ladder: Ladder = {
      rungs: [{ bandwidth: 1_000_000, width: 640, height: 360, segments: video }],
      audio: { segments: video },
    };
    expect(alignAudio(ladder)).toBe(ladder);
  });
});
