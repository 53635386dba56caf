/**
 * An append-only file of records in a directory of segments: the durable half of the embedded event
 * log and of the collector's spool. Each record is framed and checksummed; appends that arrive while
 * an fsync is running share the next one (group commit), and an append resolves only once its bytes
 * are fsynced. Reading never throws on bad bytes: a record whose CRC does not match, or a torn tail
 * left by a crash mid-write, is skipped and reported through `onCorruption` with its reason.
 *
 * Layout: `<dir>/<20-digit base sequence>.seg`. A frame is
 *   crc32 u32 BE | payload length u32 BE | sequence u64 BE | payload
 * with the CRC over everything after it (length, sequence, payload), so a damaged length is caught
 * like damaged data. Sequence numbers are stored, so a skipped record leaves a gap, never a shift.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export interface RecordFileOptions {
  dir: string;
  /** A segment is closed and a new one started once it would grow past this (default 16 MiB). */
  maxSegmentBytes?: number;
  /** Appends that would take the segments past this fail with RecordFileFullError (default: no bound). */
  maxTotalBytes?: number;
  /** A frame claiming a longer payload is read as corruption (default 64 MiB). */
  maxRecordBytes?: number;
  /** Called once per damaged spot found while opening or reading; reading goes on after it. */
  onCorruption?(event: CorruptionEvent): void;
}

export type CorruptionReason =
  /** A whole frame is there but its CRC does not match: bit rot, or an overwrite. */
  | 'crc_mismatch'
  /** The bytes at the end of the newest segment are not a whole frame: a crash mid-write. Truncated. */
  | 'torn_tail';

export interface CorruptionEvent {
  reason: CorruptionReason;
  /** Segment file name. */
  segment: string;
  /** Byte position in the segment where the damage starts. */
  position: number;
  /** Bytes skipped (or, for a torn tail, cut off) before the next good frame. */
  bytesSkipped: number;
}

export interface StoredRecord {
  seq: number;
  payload: Buffer;
}

export interface AppendResult {
  /** Sequence number of the first appended record; the others follow it without gaps. */
  firstSeq: number;
  /** The sequence number the next append will get. */
  nextSeq: number;
}

export interface ReadResult {
  records: StoredRecord[];
  /** Where to read next: past the last record returned (and past any skipped damage). */
  nextSeq: number;
}

export interface RecordFile {
  /** First sequence number still on disk (the base of the oldest segment). */
  readonly startSeq: number;
  /** One past the newest durable record: everything below it is fsynced and readable. */
  readonly endSeq: number;
  /** Bytes on disk plus bytes accepted but not yet written. */
  readonly totalBytes: number;
  /**
   * Appends the payloads as consecutive records, all or none against `maxTotalBytes`; resolves once
   * they are fsynced. Throws RecordFileFullError (nothing taken) when they do not fit.
   */
  append(payloads: readonly Buffer[]): Promise<AppendResult>;
  /** Durable records from `fromSeq` on (clamped to `startSeq`), in order. */
  read(fromSeq: number, limits?: { maxRecords?: number; maxBytes?: number }): Promise<ReadResult>;
  /** Every durable record from `fromSeq` on, read in chunks. */
  replay(fromSeq: number): AsyncGenerator<StoredRecord>;
  /**
   * Deletes every segment whose records all lie below `seq` (never the one being written); returns
   * the bytes freed.
   */
  deleteBelow(seq: number): Promise<number>;
  /** Waits for appends already accepted, then closes. Later calls fail with RecordFileClosedError. */
  close(): Promise<void>;
}

export class RecordFileFullError extends Error {
  readonly code = 'ERR_RECORD_FILE_FULL';
  readonly maxTotalBytes: number;
  constructor(dir: string, requestedBytes: number, totalBytes: number, maxTotalBytes: number) {
    super(
      `record file ${dir} is full: ${requestedBytes} more bytes would take it past its bound of ${maxTotalBytes} (${totalBytes} held)`,
    );
    this.name = 'RecordFileFullError';
    this.maxTotalBytes = maxTotalBytes;
  }
}

export class RecordFileClosedError extends Error {
  readonly code = 'ERR_RECORD_FILE_CLOSED';
  constructor(dir: string) {
    super(`record file ${dir} is closed`);
    this.name = 'RecordFileClosedError';
  }
}

export const FRAME_HEADER_BYTES = 16;
const SEGMENT_SUFFIX = '.seg';
/** A sparse index entry every this many bytes keeps a seek within a segment short. */
const INDEX_INTERVAL_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
/** How far past the expected sequence a frame found while resyncing may claim to be. */
const MAX_RESYNC_SEQ_GAP = 2 ** 32;
const DEFAULT_READ_MAX_RECORDS = 1000;
const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

interface Segment {
  base: number;
  name: string;
  /** Durable bytes: reads stop here, a torn tail was cut back to it. */
  size: number;
  /** One past the last good record's sequence (base when empty). */
  endSeq: number;
  /** (seq, position) of a frame start, at most one per INDEX_INTERVAL_BYTES. */
  index: { seq: number; position: number }[];
}

interface PendingAppend {
  frames: Buffer[];
  bytes: number;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

export function segmentName(base: number): string {
  return `${String(base).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/** One framed record, ready to write. */
export function encodeFrame(seq: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 4);
  frame.writeBigUInt64BE(BigInt(seq), 8);
  payload.copy(frame, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(crc32(frame.subarray(4)), 0);
  return frame;
}

type FrameAt =
  | { kind: 'record'; seq: number; payload: Buffer; length: number }
  | { kind: 'bad' }
  /** Not enough bytes left in the segment for the frame it announces. */
  | { kind: 'short' };

/** Reads a segment's bytes through a moving window, so a large segment is never read whole. */
class SegmentWindow {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  constructor(
    private readonly handle: FileHandle,
    readonly end: number,
  ) {}

  /** Bytes [position, position + length) or fewer if the segment ends first. */
  async bytes(position: number, length: number): Promise<Buffer> {
    const want = Math.min(length, this.end - position);
    if (want <= 0) return Buffer.alloc(0);
    const offset = position - this.bufferStart;
    if (offset >= 0 && offset + want <= this.buffer.length) {
      return this.buffer.subarray(offset, offset + want);
    }
    const size = Math.min(Math.max(want, READ_CHUNK_BYTES), this.end - position);
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await this.handle.read(buffer, filled, size - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.buffer = buffer.subarray(0, filled);
    this.bufferStart = position;
    return this.buffer.subarray(0, Math.min(want, filled));
  }

  /** `minSeq`: while resyncing, a header whose sequence is not plausible is refused before any CRC work. */
  async frameAt(position: number, maxRecordBytes: number, minSeq?: number): Promise<FrameAt> {
    const header = await this.bytes(position, FRAME_HEADER_BYTES);
    if (header.length < FRAME_HEADER_BYTES) return { kind: 'short' };
    const length = header.readUInt32BE(4);
    if (length > maxRecordBytes) return { kind: 'bad' };
    if (minSeq !== undefined) {
      const seq = Number(header.readBigUInt64BE(8));
      if (seq < minSeq || seq - minSeq > MAX_RESYNC_SEQ_GAP) return { kind: 'bad' };
    }
    if (position + FRAME_HEADER_BYTES + length > this.end) return { kind: 'short' };
    const frame = await this.bytes(position, FRAME_HEADER_BYTES + length);
    if (crc32(frame.subarray(4)) !== frame.readUInt32BE(0)) return { kind: 'bad' };
    const seq = Number(frame.readBigUInt64BE(8));
    // Copied out: the window's buffer is reused by the next read.
    const payload = Buffer.from(frame.subarray(FRAME_HEADER_BYTES));
    return { kind: 'record', seq, payload, length: FRAME_HEADER_BYTES + length };
  }

  /**
   * The next position after `from` where a good frame with a sequence ≥ `minSeq` starts, or `end`
   * when none does. The sequence check first keeps a scan over garbage from checksumming megabytes
   * at every byte whose random "length" happens to fit.
   */
  async resync(from: number, maxRecordBytes: number, minSeq: number): Promise<number> {
    for (let position = from + 1; position + FRAME_HEADER_BYTES <= this.end; position++) {
      if ((await this.frameAt(position, maxRecordBytes, minSeq)).kind === 'record') return position;
    }
    return this.end;
  }
}

/** Makes a file's creation, rename or deletion in `dir` survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write to a temporary file, fsync, rename over, fsync the directory: the file is old or new, never half. */
export async function writeFileAtomically(dir: string, name: string, text: string): Promise<void> {
  const temporary = join(dir, `${name}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(dir, name));
  await syncDir(dir);
}

export async function openRecordFile(options: RecordFileOptions): Promise<RecordFile> {
  const { dir } = options;
  const maxSegmentBytes = options.maxSegmentBytes ?? 16 * 1024 * 1024;
  const maxTotalBytes = options.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  const maxRecordBytes = options.maxRecordBytes ?? 64 * 1024 * 1024;
  const reported = new Set<string>();
  const report = (event: CorruptionEvent): void => {
    const key = `${event.segment}:${event.position}`;
    if (reported.has(key)) return;
    reported.add(key);
    options.onCorruption?.(event);
  };

  await mkdir(dir, { recursive: true });
  const names = (await readdir(dir)).filter((name) => /^\d{20}\.seg$/.test(name)).sort();
  const segments: Segment[] = [];
  for (const [i, name] of names.entries()) {
    const isLast = i === names.length - 1;
    segments.push(await scanSegment(name, isLast));
  }
  if (segments.length === 0) {
    segments.push(await createSegment(0));
  }

  let active = segments[segments.length - 1]!;
  let writer: FileHandle = await open(join(dir, active.name), 'a');
  let diskBytes = segments.reduce((sum, s) => sum + s.size, 0);
  let queuedBytes = 0;
  let queue: PendingAppend[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;

  /** Builds a segment's index and end; on the newest one a torn tail is cut off so appends follow good bytes. */
  async function scanSegment(name: string, isLast: boolean): Promise<Segment> {
    const base = Number(name.slice(0, 20));
    const path = join(dir, name);
    const fileSize = (await stat(path)).size;
    const handle = await open(path, 'r+');
    try {
      const window = new SegmentWindow(handle, fileSize);
      const segment: Segment = { base, name, size: fileSize, endSeq: base, index: [] };
      let position = 0;
      let goodEnd = 0;
      let lastIndexed = -INDEX_INTERVAL_BYTES;
      while (position < fileSize) {
        const frame = await window.frameAt(position, maxRecordBytes);
        if (frame.kind === 'record') {
          if (position - lastIndexed >= INDEX_INTERVAL_BYTES) {
            segment.index.push({ seq: frame.seq, position });
            lastIndexed = position;
          }
          segment.endSeq = frame.seq + 1;
          position += frame.length;
          goodEnd = position;
          continue;
        }
        const next = await window.resync(position, maxRecordBytes, segment.endSeq);
        if (next >= fileSize && isLast) break; // nothing good after it: a torn tail
        report({ reason: 'crc_mismatch', segment: name, position, bytesSkipped: next - position });
        position = next;
      }
      if (isLast && goodEnd < fileSize) {
        report({ reason: 'torn_tail', segment: name, position: goodEnd, bytesSkipped: fileSize - goodEnd });
        await handle.truncate(goodEnd);
        await handle.sync();
        segment.size = goodEnd;
      }
      return segment;
    } finally {
      await handle.close();
    }
  }

  async function createSegment(base: number): Promise<Segment> {
    const name = segmentName(base);
    const handle = await open(join(dir, name), 'a');
    await handle.sync();
    await handle.close();
    await syncDir(dir);
    return { base, name, size: 0, endSeq: base, index: [] };
  }

  async function rotate(base: number): Promise<void> {
    const next = await createSegment(base);
    const nextWriter = await open(join(dir, next.name), 'a');
    await writer.close();
    writer = nextWriter;
    active = next;
    segments.push(next);
  }

  /** Writes every queued append with one fsync per segment touched, then resolves them. */
  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const round = queue;
      queue = [];
      const results: AppendResult[] = [];
      /** Appends of this round whose frames are fsynced (an append never spans two segments). */
      let durable = 0;
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      let seq = active.endSeq;
      let size = active.size;
      let lastIndexed = active.index.at(-1)?.position ?? Number.NEGATIVE_INFINITY;
      let indexAdds: { seq: number; position: number }[] = [];
      const commitChunk = async (): Promise<void> => {
        if (chunk.length > 0) {
          const { bytesWritten } = await writer.writev(chunk);
          if (bytesWritten !== chunkBytes) {
            throw new Error(`short write to ${active.name}: ${bytesWritten} of ${chunkBytes} bytes`);
          }
          await writer.sync();
          active.size = size;
          active.endSeq = seq;
          active.index.push(...indexAdds);
          diskBytes += chunkBytes;
          queuedBytes -= chunkBytes;
        }
        durable = results.length;
        chunk = [];
        chunkBytes = 0;
        indexAdds = [];
      };
      try {
        for (const pending of round) {
          if (size > 0 && size + pending.bytes > maxSegmentBytes) {
            await commitChunk();
            await rotate(seq);
            size = 0;
            lastIndexed = Number.NEGATIVE_INFINITY;
          }
          const firstSeq = seq;
          for (const body of pending.frames) {
            const frame = encodeFrame(seq, body);
            if (size - lastIndexed >= INDEX_INTERVAL_BYTES) {
              indexAdds.push({ seq, position: size });
              lastIndexed = size;
            }
            chunk.push(frame);
            chunkBytes += frame.length;
            size += frame.length;
            seq++;
          }
          results.push({ firstSeq, nextSeq: seq });
        }
        await commitChunk();
      } catch (err) {
        // This round's bytes may be half on disk: cut the segment back to what was fsynced, so the
        // next append follows good bytes, and fail every append that had no fsync (queued ones too,
        // they would have followed the failed bytes).
        const failed = [...round.slice(durable), ...queue];
        queue = [];
        queuedBytes = 0;
        await writer.truncate(active.size).catch(() => undefined);
        for (const [i, pending] of round.slice(0, durable).entries()) pending.resolve(results[i]!);
        for (const pending of failed) pending.reject(err);
        return;
      }
      for (const [i, pending] of round.entries()) pending.resolve(results[i]!);
    }
  }

  function kick(): void {
    if (flushing !== undefined) return;
    flushing = flush().finally(() => {
      flushing = undefined;
      if (queue.length > 0) kick();
    });
  }

  function segmentFor(seq: number): number {
    // The last segment whose base is ≤ seq.
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (segments[mid]!.base <= seq) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  async function read(
    fromSeq: number,
    limits: { maxRecords?: number; maxBytes?: number } = {},
  ): Promise<ReadResult> {
    if (closed) throw new RecordFileClosedError(dir);
    const maxRecords = limits.maxRecords ?? DEFAULT_READ_MAX_RECORDS;
    const maxBytes = limits.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const records: StoredRecord[] = [];
    let bytes = 0;
    let seq = fromSeq;
    // `segments` may shift (deleteBelow) or grow (rotation) at every await: look the segment up anew each time.
    while (records.length < maxRecords && bytes < maxBytes) {
      seq = Math.max(seq, segments[0]!.base);
      const i = segmentFor(seq);
      const segment = segments[i]!;
      if (seq >= segment.endSeq) {
        const next = segments[i + 1];
        if (next === undefined) break;
        seq = next.base;
        continue;
      }
      // A snapshot taken together: appends may grow the segment meanwhile, but only fsynced bytes are read.
      const end = segment.size;
      const endSeq = segment.endSeq;
      let position = 0;
      /** The lowest sequence the next good frame can carry. */
      let expected = segment.base;
      for (const entry of segment.index) {
        if (entry.seq > seq) break;
        position = entry.position;
        expected = entry.seq;
      }
      let handle: FileHandle;
      try {
        handle = await open(join(dir, segment.name), 'r');
      } catch (err) {
        // Deleted meanwhile by deleteBelow: the caller released those records itself.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        const window = new SegmentWindow(handle, end);
        while (position < end && records.length < maxRecords && bytes < maxBytes) {
          const frame = await window.frameAt(position, maxRecordBytes);
          if (frame.kind === 'record') {
            position += frame.length;
            expected = frame.seq + 1;
            if (frame.seq < seq) continue;
            records.push({ seq: frame.seq, payload: frame.payload });
            bytes += frame.payload.length;
            seq = frame.seq + 1;
            continue;
          }
          const next = frame.kind === 'short' ? end : await window.resync(position, maxRecordBytes, expected);
          report({ reason: 'crc_mismatch', segment: segment.name, position, bytesSkipped: next - position });
          position = next;
        }
      } finally {
        await handle.close();
      }
      if (position < end) break;
      seq = Math.max(seq, endSeq);
    }
    return { records, nextSeq: seq };
  }

  return {
    get startSeq() {
      return segments[0]!.base;
    },
    get endSeq() {
      return active.endSeq;
    },
    get totalBytes() {
      return diskBytes + queuedBytes;
    },

    append(payloads) {
      if (closed) return Promise.reject(new RecordFileClosedError(dir));
      if (payloads.length === 0) return Promise.resolve({ firstSeq: active.endSeq, nextSeq: active.endSeq });
      const bytes = payloads.reduce((sum, p) => sum + FRAME_HEADER_BYTES + p.length, 0);
      const oversized = payloads.find((p) => p.length > maxRecordBytes);
      if (oversized !== undefined) {
        return Promise.reject(
          new RangeError(`a record of ${oversized.length} bytes exceeds maxRecordBytes ${maxRecordBytes}`),
        );
      }
      if (diskBytes + queuedBytes + bytes > maxTotalBytes) {
        return Promise.reject(new RecordFileFullError(dir, bytes, diskBytes + queuedBytes, maxTotalBytes));
      }
      queuedBytes += bytes;
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ frames: [...payloads], bytes, resolve, reject });
        kick();
      });
    },

    read,

    async *replay(fromSeq) {
      let seq = fromSeq;
      for (;;) {
        const { records, nextSeq } = await read(seq);
        yield* records;
        if (nextSeq === seq || nextSeq >= active.endSeq) return;
        seq = nextSeq;
      }
    },

    async deleteBelow(seq) {
      if (closed) throw new RecordFileClosedError(dir);
      let freed = 0;
      while (segments.length > 1 && segments[1]!.base <= seq) {
        const segment = segments.shift()!;
        await rm(join(dir, segment.name), { force: true });
        diskBytes -= segment.size;
        freed += segment.size;
      }
      if (freed > 0) await syncDir(dir);
      return freed;
    },

    async close() {
      if (closed) return;
      closed = true;
      while (flushing !== undefined) await flushing;
      await writer.close();
    },
  };
}
