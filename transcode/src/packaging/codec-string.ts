/**
 * RFC 6381 `CODECS` values from the codec configuration records in an init segment, so a player's
 * `MediaSource.isTypeSupported` check sees the profile and level the encoder actually chose.
 */
import type { InitInfo } from './mp4-boxes.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0').toUpperCase();

export function codecString(init: Pick<InitInfo, 'sampleEntry' | 'config'>): string {
  const { sampleEntry, config } = init;
  // We encode AAC-LC only (object type 2).
  if (sampleEntry === 'mp4a') return 'mp4a.40.2';
  if (config === undefined) throw new Error(`no codec configuration for ${sampleEntry}`);
  switch (sampleEntry) {
    case 'avc1':
    case 'avc3':
      // AVCDecoderConfigurationRecord: profile_idc, constraint flags, level_idc.
      return `${sampleEntry}.${hex2(config[1]!)}${hex2(config[2]!)}${hex2(config[3]!)}`;
    case 'hvc1':
    case 'hev1':
      return `${sampleEntry}.${hevcSuffix(config)}`;
    case 'av01':
      return `av01.${av1Suffix(config)}`;
    default:
      throw new Error(`no CODECS rule for ${sampleEntry}`);
  }
}

/** ISO/IEC 14496-15 Annex E.3: profile space+idc, reversed compatibility flags, tier+level, constraints. */
function hevcSuffix(c: Buffer): string {
  const space = ['', 'A', 'B', 'C'][c[1]! >> 6]!;
  const tier = c[1]! & 0x20 ? 'H' : 'L';
  const profile = c[1]! & 0x1f;
  let compat = c.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    reversed = (reversed << 1) | (compat & 1);
    compat >>>= 1;
  }
  const constraints = [...c.subarray(6, 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  return [
    `${space}${profile}`,
    (reversed >>> 0).toString(16).toUpperCase(),
    `${tier}${c[12]!}`,
    ...constraints.map((b) => b.toString(16).toUpperCase()),
  ].join('.');
}

/** AV1-ISOBMFF §5: profile.level+tier.bitdepth from the AV1CodecConfigurationRecord. */
function av1Suffix(c: Buffer): string {
  const profile = c[1]! >> 5;
  const level = c[1]! & 0x1f;
  const tier = c[2]! & 0x80 ? 'H' : 'M';
  const highBitdepth = (c[2]! & 0x40) !== 0;
  const twelveBit = (c[2]! & 0x20) !== 0;
  const bitDepth = highBitdepth ? (twelveBit ? 12 : 10) : 8;
  return `${profile}.${String(level).padStart(2, '0')}${tier}.${String(bitDepth).padStart(2, '0')}`;
}
