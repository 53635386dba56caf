import { describe, expect, it } from 'vitest';
import { ACCEPTED_FORMATS, type EncodePlan, encodeArguments } from '../src/ffmpeg-command.js';
import { planLadder } from '../src/plan-ladder.js';

const makePlan = (overrides: Partial<EncodePlan> = {}): EncodePlan => ({
  input: '/work/job/source',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 20,
  frameRate: 30,
  hasAudio: true,
  renditions: planLadder({ width: 1920, height: 1080 }),
  outputDir: '/work/job/out',
  segmentSeconds: 6,
  keyframeSeconds: 2,
  ...overrides,
});

const valueAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('encodeArguments', () => {
  it('keeps the untrusted input to local files and the demuxer the probe found', () => {
    const { inputOptions } = encodeArguments(makePlan());
    expect(valueAfter(inputOptions, '-protocol_whitelist')).toBe('file');
    expect(valueAfter(inputOptions, '-format_whitelist')).toBe(ACCEPTED_FORMATS);
    expect(valueAfter(inputOptions, '-f')).toBe('mov');
    expect(ACCEPTED_FORMATS).not.toMatch(/hls|concat|image2|lavfi/);
  });

  it('splits one decode into every rendition plus the poster', () => {
    const { filterGraph } = encodeArguments(makePlan());
    expect(filterGraph).toContain('split=3[s0][s1][sp]');
    expect(filterGraph).toContain('[s0]scale=w=640:h=360');
    expect(filterGraph).toContain('[s1]scale=w=1280:h=720');
  });

  it('aligns keyframes every 2 s and cuts 6 s VOD segments with a master playlist', () => {
    const { hlsOptions } = encodeArguments(makePlan());
    expect(valueAfter(hlsOptions, '-g')).toBe('60');
    expect(valueAfter(hlsOptions, '-sc_threshold')).toBe('0');
    expect(valueAfter(hlsOptions, '-force_key_frames:v')).toBe('expr:gte(t,n_forced*2)');
    expect(valueAfter(hlsOptions, '-hls_time')).toBe('6');
    expect(valueAfter(hlsOptions, '-hls_playlist_type')).toBe('vod');
    expect(valueAfter(hlsOptions, '-master_pl_name')).toBe('master.m3u8');
    expect(valueAfter(hlsOptions, '-var_stream_map')).toBe('v:0,a:0,name:360p v:1,a:1,name:720p');
  });

  it('maps no audio for a silent source', () => {
    const { hlsOptions } = encodeArguments(makePlan({ hasAudio: false, frameRate: undefined }));
    expect(hlsOptions).not.toContain('0:a:0');
    expect(hlsOptions).not.toContain('-g');
    expect(valueAfter(hlsOptions, '-var_stream_map')).toBe('v:0,name:360p v:1,name:720p');
  });
});
