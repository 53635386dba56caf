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
  packetCount: 180,
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
  refusedPictureSize: undefined,
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
      'wider than 4096',
      makeProbe({ streams: [videoStream({ width: 4098, height: 100 })] }),
      '4098x100 is larger than 4096x4096',
    ],
    [
      'a header claiming 30000x30000',
      makeProbe({ streams: [videoStream({ width: 30000, height: 30000 })] }),
      '30000x30000 is larger than 4096x4096',
    ],
    [
      'a picture the probe refused to size (-max_pixels)',
      makeProbe({
        streams: [videoStream({ width: 0, height: 0 })],
        refusedPictureSize: { width: 16000, height: 16000 },
      }),
      '16000x16000 is larger than 4096x4096',
    ],
    [
      'an unknown video codec',
      makeProbe({ streams: [videoStream({ codecName: undefined })] }),
      'it has no decodable video stream',
    ],
    [
      'a single frame',
      makeProbe({ streams: [videoStream({ packetCount: 1 })] }),
      'it has a single frame (a picture, not a video)',
    ],
    [
      'no frames',
      makeProbe({ streams: [videoStream({ packetCount: 0 })] }),
      'its video stream has no frames',
    ],
    [
      'too many streams',
      makeProbe({ streams: [videoStream(), ...Array.from({ length: 16 }, () => audioStream)] }),
      'it has 17 streams, more than 16',
    ],
    ['over 4 hours', makeProbe({ durationSec: 4 * 3600 + 1 }), 'it lasts 4:00:01, longer than 4:00:00'],
  ])('refuses %s as not playable', (_case, probe, why) => {
    expect(inspectSource(probe)).toEqual({ ok: false, reason: `not a playable video: ${why}` });
  });

  it('applies the limits it is given', () => {
    expect(inspectSource(makeProbe({ durationSec: 90 }), { maxDurationSec: 60, maxStreams: 16 })).toEqual({
      ok: false,
      reason: 'not a playable video: it lasts 0:01:30, longer than 0:01:00',
    });
  });

  it('accepts a video without audio', () => {
    const verdict = inspectSource(makeProbe({ streams: [videoStream()] }));
    expect(verdict.ok && verdict.source.hasAudio).toBe(false);
  });
});
