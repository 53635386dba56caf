import { describe, expect, it } from 'vitest';
import { codecString } from '../src/packaging/codec-string.js';

const record = (...bytes: number[]) => Buffer.from(bytes);

describe('codecString (RFC 6381 from the init segment)', () => {
  it.each([
    ['H.264 High 4.0', 'avc1', record(1, 0x64, 0x00, 0x28), 'avc1.640028'],
    ['H.264 Main 3.0', 'avc1', record(1, 0x4d, 0x40, 0x1e), 'avc1.4D401E'],
    // ISO/IEC 14496-15 E.3's own example: Main, compatibility flags 0x60000000, L93, constraints B0.
    ['HEVC Main L3.1', 'hvc1', record(1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93), 'hvc1.1.6.L93.B0'],
    [
      'HEVC Main 10 high tier',
      'hev1',
      record(1, 0x22, 0x20, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 120),
      'hev1.2.4.H120.90',
    ],
    ['AV1 Main 8-bit level 4.0', 'av01', record(0x81, 0x08, 0x0c), 'av01.0.08M.08'],
    ['AV1 Main 10-bit level 3.0', 'av01', record(0x81, 0x04, 0x4c), 'av01.0.04M.10'],
  ])('%s', (_name, sampleEntry, config, expected) => {
    expect(codecString({ sampleEntry, config })).toBe(expected);
  });

  it('names our audio AAC-LC and refuses a sample entry it has no rule for', () => {
    expect(codecString({ sampleEntry: 'mp4a', config: undefined })).toBe('mp4a.40.2');
    expect(() => codecString({ sampleEntry: 'vp09', config: record(1) })).toThrow(/no CODECS rule for vp09/);
  });
});
