import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { LadderRung } from '@streamloop/core/schemas/ladder';
import { describe, expect, it } from 'vitest';
import { ACCEPTED_FORMATS, type EncodePlan, encodeArguments, rateExpression } from '../src/ffmpeg-command.js';
import { fitLadder } from '../src/fit-ladder.js';
import { planStoryboard } from '../src/packaging/storyboard.js';

const makePlan = (overrides: Partial<EncodePlan> = {}): EncodePlan => ({
  input: '/work/job/source',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 20,
  frameRate: 30,
  hasAudio: true,
  renditions: fitLadder({ width: 1280, height: 720 }),
  audioBitrateKbps: 96,
  presets: DEFAULT_LADDER.presets,
  outputDir: '/work/job/out',
  segmentSeconds: 6,
  keyframeSeconds: 2,
  storyboard: planStoryboard({ width: 1280, height: 720, durationSec: 20 }),
  thumbnails: { intervalSec: 2, width: 640, height: 360 },
  ...overrides,
});

const valueAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const mainOutput = (plan: EncodePlan) => encodeArguments(plan).outputs[0]!.options;

describe('encodeArguments', () => {
  it('keeps the untrusted input to local files and the demuxer the probe found', () => {
    const { inputOptions } = encodeArguments(makePlan());
    expect(valueAfter(inputOptions, '-protocol_whitelist')).toBe('file');
    expect(valueAfter(inputOptions, '-format_whitelist')).toBe(ACCEPTED_FORMATS);
    expect(valueAfter(inputOptions, '-f')).toBe('mov');
  });

  it('decodes once, at a constant rate, and splits into every rung, the poster, the storyboard and the thumbnails', () => {
    const { filterGraph } = encodeArguments(makePlan({ frameRate: 29.97 }));
    expect(filterGraph).toMatch(
      /^\[0:v:0\]fps=30000\/1001,format=yuv420p,split=7\[s0\]\[s1\]\[s2\]\[s3\]\[sp\]\[sb\]\[st\]/,
    );
    // Thumbnails on the keyframes' own schedule (-force_key_frames gte(t,n_forced*2)).
    expect(filterGraph).toContain('[st]select=gte(t\\,2*selected_n),scale=w=640:h=360,setsar=1[thumbs]');
    expect(filterGraph).toContain('[s0]scale=w=416:h=234');
    expect(filterGraph).toContain('[s3]scale=w=1280:h=720');
    expect(filterGraph).toContain('thumbnail=');
    expect(filterGraph).toContain('tile=10x10');
  });

  it('caps every rung with its own VBV and aligns closed 2 s GOPs without scene cuts', () => {
    const options = mainOutput(makePlan());
    expect(valueAfter(options, '-b:v:3')).toBe('2800k');
    expect(valueAfter(options, '-maxrate:v:3')).toBe('2996k');
    expect(valueAfter(options, '-bufsize:v:3')).toBe('4200k');
    expect(valueAfter(options, '-g')).toBe('60');
    expect(valueAfter(options, '-sc_threshold')).toBe('0');
    expect(valueAfter(options, '-flags')).toBe('+cgop');
    expect(valueAfter(options, '-force_key_frames:v')).toBe('expr:gte(t,n_forced*2)');
  });

  it('writes 6 s CMAF segments, audio encoded once as its own rendition', () => {
    const options = mainOutput(makePlan());
    expect(valueAfter(options, '-hls_segment_type')).toBe('fmp4');
    expect(valueAfter(options, '-hls_time')).toBe('6');
    expect(options.filter((o) => o === '0:a:0')).toHaveLength(1);
    expect(valueAfter(options, '-c:a')).toBe('aac');
    expect(valueAfter(options, '-var_stream_map')).toBe(
      'v:0,name:234p v:1,name:360p v:2,name:480p v:3,name:720p a:0,name:audio',
    );
  });

  it('maps no audio for a silent source', () => {
    const options = mainOutput(makePlan({ hasAudio: false }));
    expect(options).not.toContain('0:a:0');
    expect(options).not.toContain('-c:a');
    expect(valueAfter(options, '-var_stream_map')).not.toContain('a:0');
  });

  it('selects libx265 (tagged hvc1, closed GOPs) and libsvtav1 per rung', () => {
    const rung = (codec: LadderRung['codec']): LadderRung => ({
      height: 360,
      codec,
      profile: 'main',
      videoBitrateKbps: 500,
      maxrateKbps: 550,
      bufsizeKbps: 750,
    });
    const renditions = fitLadder(
      { width: 640, height: 360 },
      { ...DEFAULT_LADDER, rungs: [rung('h264'), rung('hevc'), rung('av1')] },
    );
    const options = mainOutput(makePlan({ renditions }));
    const codecOf = (name: string) =>
      valueAfter(options, `-c:v:${renditions.findIndex((r) => r.name === name)}`);
    expect([codecOf('360p'), codecOf('360p-hevc'), codecOf('360p-av1')]).toEqual([
      'libx264',
      'libx265',
      'libsvtav1',
    ]);
    const hevc = renditions.findIndex((r) => r.codec === 'hevc');
    expect(valueAfter(options, `-tag:v:${hevc}`)).toBe('hvc1');
    expect(valueAfter(options, `-x265-params:v:${hevc}`)).toContain('open-gop=0');
  });

  it.each([
    [30, '30'],
    [29.97002997, '30000/1001'],
    [59.94, '60000/1001'],
    [25, '25'],
  ])('states %s fps exactly as %s', (fps, expected) => {
    expect(rateExpression(fps)).toBe(expected);
  });
});
