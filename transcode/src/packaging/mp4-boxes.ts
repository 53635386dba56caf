/**
 * Just enough ISO BMFF (ISO/IEC 14496-12) reading to write manifests from the fMP4 files ffmpeg
 * produced: from an init segment the timescale and the codec configuration record, from a media
 * segment its samples (duration, size, keyframe flag) and where they sit in the file. Manifests then
 * state what the bytes are, not what the encoder was asked for.
 */

export interface Box {
  type: string;
  /** Offset of the box header in the buffer. */
  start: number;
  /** Offset of the payload (after size/type, and a largesize if any). */
  payload: number;
  end: number;
}

export function* boxes(buf: Buffer, start = 0, end = buf.length): Generator<Box> {
  let offset = start;
  while (offset + 8 <= end) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    let payload = offset + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(offset + 8));
      payload += 8;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < payload - offset || offset + size > end) {
      throw new Error(`malformed ${type} box at byte ${offset}`);
    }
    yield { type, start: offset, payload, end: offset + size };
    offset += size;
  }
}

export function child(
  buf: Buffer,
  parent: Pick<Box, 'payload' | 'end'>,
  type: string,
  skip = 0,
): Box | undefined {
  for (const box of boxes(buf, parent.payload + skip, parent.end)) if (box.type === type) return box;
  return undefined;
}

/** Follows a path of container boxes: `find(buf, root, 'moov', 'trak', 'mdia')`. */
export function find(buf: Buffer, root: Pick<Box, 'payload' | 'end'>, ...path: string[]): Box | undefined {
  let current: Pick<Box, 'payload' | 'end'> | undefined = root;
  let found: Box | undefined;
  for (const type of path) {
    if (current === undefined) return undefined;
    found = child(buf, current, type);
    current = found;
  }
  return found;
}

export interface InitInfo {
  timescale: number;
  /** Sample entry type: avc1, hvc1, hev1, av01, mp4a. */
  sampleEntry: string;
  /** The codec configuration record's payload (avcC, hvcC, av1C, or esds for audio). */
  config: Buffer | undefined;
  width: number | undefined;
  height: number | undefined;
  /** trex defaults, for segments whose tfhd/trun leave them out. */
  defaultSampleDuration: number;
  defaultSampleSize: number;
  defaultSampleFlags: number;
}

const CONFIG_BOX: Readonly<Record<string, string>> = {
  avc1: 'avcC',
  avc3: 'avcC',
  hvc1: 'hvcC',
  hev1: 'hvcC',
  av01: 'av1C',
  mp4a: 'esds',
};
const VISUAL_ENTRY_HEADER = 78;
const AUDIO_ENTRY_HEADER = 28;

export function readInit(buf: Buffer): InitInfo {
  const root = { payload: 0, end: buf.length };
  const mdia = find(buf, root, 'moov', 'trak', 'mdia');
  const mdhd = mdia && child(buf, mdia, 'mdhd');
  const stsd = mdia && find(buf, mdia, 'minf', 'stbl', 'stsd');
  if (mdhd === undefined || stsd === undefined) throw new Error('init segment has no track description');
  const timescale = buf.readUInt32BE(mdhd.payload + (buf[mdhd.payload] === 1 ? 20 : 12));
  // stsd: version/flags (4) + entry count (4), then the first sample entry.
  const entry = boxes(buf, stsd.payload + 8, stsd.end).next().value;
  if (entry === undefined) throw new Error('init segment has no sample entry');
  const visual = entry.type !== 'mp4a';
  const configType = CONFIG_BOX[entry.type];
  const config =
    configType === undefined
      ? undefined
      : child(buf, entry, configType, visual ? VISUAL_ENTRY_HEADER : AUDIO_ENTRY_HEADER);
  const trex = find(buf, root, 'moov', 'mvex', 'trex');
  return {
    timescale,
    sampleEntry: entry.type,
    config: config && buf.subarray(config.payload, config.end),
    width: visual ? buf.readUInt16BE(entry.payload + 24) : undefined,
    height: visual ? buf.readUInt16BE(entry.payload + 26) : undefined,
    defaultSampleDuration: trex ? buf.readUInt32BE(trex.payload + 12) : 0,
    defaultSampleSize: trex ? buf.readUInt32BE(trex.payload + 16) : 0,
    defaultSampleFlags: trex ? buf.readUInt32BE(trex.payload + 20) : 0,
  };
}

export interface Sample {
  duration: number;
  /** Byte offset of the sample in the segment file, and its size. */
  offset: number;
  size: number;
  keyframe: boolean;
  /** Offset of the moof that describes the sample, and whether the sample is that fragment's first. */
  fragmentStart: number;
  firstInFragment: boolean;
}

export interface SegmentInfo {
  /** tfdt of the first fragment, in the track timescale. */
  baseDecodeTime: number;
  samples: Sample[];
}

/** Reads big-endian fields one after another. */
function cursor(buf: Buffer, start: number) {
  let at = start;
  const advance = (bytes: number) => {
    at += bytes;
    return at - bytes;
  };
  return {
    u32: () => buf.readUInt32BE(advance(4)),
    i32: () => buf.readInt32BE(advance(4)),
    u64: () => Number(buf.readBigUInt64BE(advance(8))),
  };
}

// ISO/IEC 14496-12 8.8.3.1: sample_is_non_sync_sample is bit 16 of the sample flags.
const NON_SYNC = 0x10000;

export function readSegment(buf: Buffer, init: InitInfo): SegmentInfo {
  const samples: Sample[] = [];
  let baseDecodeTime: number | undefined;
  for (const moof of boxes(buf)) {
    if (moof.type !== 'moof') continue;
    for (const traf of boxes(buf, moof.payload, moof.end)) {
      if (traf.type !== 'traf') continue;
      const tfhd = child(buf, traf, 'tfhd');
      if (tfhd === undefined) throw new Error('fragment without tfhd');
      const tfhdFlags = buf.readUInt32BE(tfhd.payload) & 0xffffff;
      const header = cursor(buf, tfhd.payload + 8);
      // default-base-is-moof (what ffmpeg writes) unless an explicit base data offset is given.
      const dataBase = tfhdFlags & 0x1 ? header.u64() : moof.start;
      if (tfhdFlags & 0x2) header.u32();
      const defaultDuration = tfhdFlags & 0x8 ? header.u32() : init.defaultSampleDuration;
      const defaultSize = tfhdFlags & 0x10 ? header.u32() : init.defaultSampleSize;
      const defaultFlags = tfhdFlags & 0x20 ? header.u32() : init.defaultSampleFlags;

      const tfdt = child(buf, traf, 'tfdt');
      if (tfdt !== undefined && baseDecodeTime === undefined) {
        baseDecodeTime =
          buf[tfdt.payload] === 1
            ? Number(buf.readBigUInt64BE(tfdt.payload + 4))
            : buf.readUInt32BE(tfdt.payload + 4);
      }
      for (const trun of boxes(buf, traf.payload, traf.end)) {
        if (trun.type !== 'trun') continue;
        const flags = buf.readUInt32BE(trun.payload) & 0xffffff;
        const run = cursor(buf, trun.payload + 4);
        const count = run.u32();
        let offset = flags & 0x1 ? dataBase + run.i32() : dataBase;
        const firstFlags = flags & 0x4 ? run.u32() : undefined;
        for (let i = 0; i < count; i++) {
          const duration = flags & 0x100 ? run.u32() : defaultDuration;
          const size = flags & 0x200 ? run.u32() : defaultSize;
          let sampleFlags = flags & 0x400 ? run.u32() : defaultFlags;
          if (i === 0 && firstFlags !== undefined) sampleFlags = firstFlags;
          if (flags & 0x800) run.u32(); // composition time offset: not needed for sizes or timing
          samples.push({
            duration,
            offset,
            size,
            keyframe: (sampleFlags & NON_SYNC) === 0,
            fragmentStart: moof.start,
            firstInFragment: i === 0,
          });
          offset += size;
        }
      }
    }
  }
  if (samples.length === 0) throw new Error('media segment has no samples');
  return { baseDecodeTime: baseDecodeTime ?? 0, samples };
}
