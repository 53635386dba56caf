import { CMCD_V1, type Cmcd, encodeCmcd as referenceEncode, toCmcdHeaders } from '@svta/cml-cmcd';
import { describe, expect, it } from 'vitest';
import { type CmcdData, createCmcdObjects, encodeCmcd } from '../src/cmcd.js';
import type { VhsLike } from '../src/player-like.js';

const makeData = (overrides: CmcdData = {}): CmcdData => ({
  sid: '6e2fb550c457ce1a0e2d8a1b3c4d5e6f',
  cid: 'video-0001',
  ot: 'av',
  sf: 'h',
  st: 'v',
  pr: 1,
  br: 3221,
  d: 6000,
  bl: 12_340,
  tb: 3221,
  mtp: 4194,
  rtp: 16_105,
  ...overrides,
});

// The reference: @svta/cml-cmcd's general encoder, which the origin's decoder is the counterpart of.
const reference = (data: CmcdData) => referenceEncode(data as unknown as Cmcd, { version: CMCD_V1 });

describe('CMCD encoding', () => {
  it.each<[string, CmcdData]>([
    ['a segment request at startup', makeData({ su: true })],
    ['a stall (buffer starved) at 1.5x', makeData({ bs: true, pr: 1.5, bl: 0 })],
    ['paused', makeData({ pr: 0 })],
    ['false flags and absent numbers', makeData({ su: false, bs: false, br: undefined, mtp: undefined })],
    ['a manifest request', { sid: 'abc', cid: 'v1', ot: 'm', sf: 'h', st: 'l', pr: 1, su: true }],
    ['a content id with a quote and a backslash', makeData({ cid: 'a"b\\c' })],
    ['rounding: 0.5 up, 149 ms to 100, 150 ms to 200', makeData({ br: 2.5, bl: 149, mtp: 150, d: 1999.4 })],
  ])('writes what the reference encoder writes: %s', (_name, data) => {
    expect(encodeCmcd(data)).toBe(reference(data));
  });

  it('splits the keys into the four CMCD headers as the reference does', () => {
    const data = makeData({ su: true, bs: true, pr: 2 });
    const ours = Object.fromEntries(
      (['CMCD-Object', 'CMCD-Request', 'CMCD-Session', 'CMCD-Status'] as const).map((h) => [
        h,
        encodeCmcd(data, h),
      ]),
    );
    expect(ours).toEqual(toCmcdHeaders(data as unknown as Cmcd, { version: CMCD_V1 }));
  });
});

describe('CMCD objects', () => {
  it('keeps only the segments of the playlists VHS holds now (a live window slides without growth)', () => {
    const objects = createCmcdObjects();
    const vhs: VhsLike = {};
    const uri = (n: number) => `https://cdn.test/live/720p/seg_${n}.m4s`;
    for (let refresh = 0; refresh < 200; refresh++) {
      // Every refresh is a new playlist object: the last 5 segments, one new one each time.
      vhs.playlists = {
        main: {
          playlists: [
            {
              attributes: { BANDWIDTH: 3_000_000, CODECS: 'avc1.64001f,mp4a.40.2' },
              segments: [0, 1, 2, 3, 4].map((i) => ({
                resolvedUri: uri(refresh + i),
                duration: 2,
                map: { resolvedUri: 'https://cdn.test/live/720p/init.mp4' },
              })),
            },
          ],
        },
      };
      expect(objects.lookup('segment', uri(refresh + 4), vhs)).toEqual({ ot: 'av', br: 3000, d: 2000 });
    }
    expect(objects.size()).toBe(6); // five segments and the init segment
    expect(objects.lookup('segment', uri(0), vhs)).toEqual({ ot: 'av' }); // long gone: unknown, not kept
  });
});
