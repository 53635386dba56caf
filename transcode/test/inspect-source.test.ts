import { describe, expect, it } from 'vitest';
import type { ProbedStream, ProbeResult } from '../src/ffmpeg-command.js';
import { inspectSource } from '../src/inspect-source.js';

const videoStream = (overrides: Partial<ProbedStream> = {}): ProbedStream => ({
  codecType: 'video',
  codecName: 'h264',
  width: 1280,
  height: 720,
  frameRate: 30,
  attachedPicture: false,
  ...overrides,
});
const audioStream: ProbedStream = {
  ...videoStream(),
  codecType: 'audio',
  codecName: 'aac',
  width: undefined,
  height: undefined,
};

const makeProbe = (overrides: Partial<ProbeResult> = {}): ProbeResult => ({
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 6,
  streams: [videoStream(), audioStream],
  ...overrides,
});

describe('inspectSource', () => {
  it('accepts a normal video and reports what the encode needs', () => {
    expect(inspectSource(makeProbe())).toEqual({
      ok: true,
      source: {
        formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        durationSec: 6,
        width: 1280,
        height: 720,
        frameRate: 30,
        hasAudio: true,
      },
    });
  });

  it.each([
    ['audio only', makeProbe({ streams: [audioStream] }), 'it has no video stream'],
    [
      'only cover art',
      makeProbe({ streams: [audioStream, videoStream({ attachedPicture: true })] }),
      'it has no video stream',
    ],
    ['no duration', makeProbe({ durationSec: Number.NaN }), 'it has no duration'],
    ['zero duration', makeProbe({ durationSec: 0 }), 'it has no duration'],
    [
      'no picture size',
      makeProbe({ streams: [videoStream({ width: 0 })] }),
      'its video stream has no picture size',
    ],
    [
      'wider than 8192',
      makeProbe({ streams: [videoStream({ width: 8194, height: 100 })] }),
      '8194x100 is larger than 8192x8192',
    ],
    [
      'taller than 8192',
      makeProbe({ streams: [videoStream({ width: 100, height: 16000 })] }),
      '100x16000 is larger than 8192x8192',
    ],
  ])('refuses %s as not playable', (_case, probe, why) => {
    expect(inspectSource(probe)).toEqual({ ok: false, reason: `not a playable video: ${why}` });
  });

  it('accepts a video without audio', () => {
    const verdict = inspectSource(makeProbe({ streams: [videoStream()] }));
    expect(verdict.ok && verdict.source.hasAudio).toBe(false);
  });
});
