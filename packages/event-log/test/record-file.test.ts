/**
 * The append-only record file on a real disk: what survives a reopen, a torn write, a flipped bit,
 * rotation, deletion, its byte bound and a kill -9 mid-append. Damaged bytes are made by writing them
 * into the segment files directly, the way a crash or bad disk leaves them.
 */
import { createHash } from 'node:crypto';
import { appendFile, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CorruptionEvent,
  encodeFrame,
  FRAME_HEADER_BYTES,
  openRecordFile,
  type RecordFile,
  RecordFileClosedError,
  RecordFileFullError,
  type RecordFileOptions,
  segmentName,
} from '../src/record-file.js';
import { startChild } from './fixtures/child-process.js';
import type {
  RecordFileWriterInput,
  RecordFileWriterMessage,
} from './fixtures/record-file-writer.fixture.js';
import { createTempDirs } from './helpers.js';

const temp = createTempDirs('record-file-');
const tempDir = temp.dir;

async function openFile(
  options: RecordFileOptions,
): Promise<{ file: RecordFile; corruption: CorruptionEvent[] }> {
  const corruption: CorruptionEvent[] = [];
  const file = temp.keep(await openRecordFile({ ...options, onCorruption: (e) => corruption.push(e) }));
  return { file, corruption };
}

const payloads = (count: number, prefix = 'r'): Buffer[] =>
  Array.from({ length: count }, (_, i) => Buffer.from(`${prefix}-${i}`));

async function readAll(file: RecordFile, from = 0): Promise<{ seq: number; text: string }[]> {
  const out: { seq: number; text: string }[] = [];
  for await (const record of file.replay(from))
    out.push({ seq: record.seq, text: record.payload.toString() });
  return out;
}

afterEach(temp.cleanup);

describe('record file', () => {
  it('gives appended records consecutive sequence numbers and reads them back in order after a reopen', async () => {
    const dir = await tempDir();
    const first = await openFile({ dir });
    expect(await first.file.append(payloads(3, 'a'))).toEqual({ firstSeq: 0, nextSeq: 3 });
    expect(await first.file.append(payloads(2, 'b'))).toEqual({ firstSeq: 3, nextSeq: 5 });
    await first.file.close();
    await expect(first.file.append(payloads(1))).rejects.toBeInstanceOf(RecordFileClosedError);

    const again = await openFile({ dir });
    expect(again.file.endSeq).toBe(5);
    expect(await readAll(again.file)).toEqual([
      { seq: 0, text: 'a-0' },
      { seq: 1, text: 'a-1' },
      { seq: 2, text: 'a-2' },
      { seq: 3, text: 'b-0' },
      { seq: 4, text: 'b-1' },
    ]);
    expect(await again.file.append(payloads(1, 'c'))).toEqual({ firstSeq: 5, nextSeq: 6 });
    expect((await again.file.read(4, { maxRecords: 1 })).records.map((r) => r.payload.toString())).toEqual([
      'b-1',
    ]);
    expect(again.corruption).toEqual([]);
  });

  it('resolves many concurrent appends, each with its own records in order and none lost', async () => {
    const { file } = await openFile({ dir: await tempDir() });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => file.append(payloads(1 + (i % 5), `p${i}`))),
    );
    const all = await readAll(file);
    expect(all).toHaveLength(results.reduce((sum, r) => sum + (r.nextSeq - r.firstSeq), 0));
    results.forEach((result, i) => {
      const texts = all.slice(result.firstSeq, result.nextSeq).map((r) => r.text);
      expect(texts).toEqual(payloads(1 + (i % 5), `p${i}`).map(String));
    });
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i));
  });

  it('rotates into new segments by size, reads across them, and deletes only whole segments below a position', async () => {
    const dir = await tempDir();
    const { file } = await openFile({ dir, maxSegmentBytes: 200 });
    for (let i = 0; i < 20; i++)
      await file.append([Buffer.from(`record-${String(i).padStart(2, '0')}-${'x'.repeat(40)}`)]);
    const segments = (await readdir(dir)).sort();
    expect(segments.length).toBeGreaterThan(3);
    expect((await readAll(file)).map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));

    const bases = segments.map((name) => Number(name.slice(0, 20)));
    const cut = bases[2]! + 1; // inside the third segment: the first two go, the third stays
    const before = file.totalBytes;
    const freed = await file.deleteBelow(cut);
    expect(freed).toBeGreaterThan(0);
    expect(file.totalBytes).toBe(before - freed);
    expect((await readdir(dir)).sort()).toEqual(segments.slice(2));
    expect(file.startSeq).toBe(bases[2]);
    const rest = await readAll(file, 0);
    expect(rest[0]!.seq).toBe(bases[2]);
    expect(rest.at(-1)!.seq).toBe(19);

    // The segment being written is never deleted, even below everything.
    await file.deleteBelow(1_000);
    expect(await readdir(dir)).toEqual([segments.at(-1)]);
    expect(file.endSeq).toBe(20);
    expect((await file.append(payloads(1))).firstSeq).toBe(20);
  });

  it('refuses an append beyond its byte bound whole, with a specific error, and takes it again once space is freed', async () => {
    const dir = await tempDir();
    const record = Buffer.alloc(84, 'y'); // 100 bytes framed
    const { file } = await openFile({ dir, maxSegmentBytes: 300, maxTotalBytes: 1000 });
    for (let i = 0; i < 9; i++) await file.append([record]);
    const full = await file.append([record, record]).catch((err: unknown) => err);
    expect(full).toBeInstanceOf(RecordFileFullError);
    expect(full).toMatchObject({ code: 'ERR_RECORD_FILE_FULL', maxTotalBytes: 1000 });
    expect(file.endSeq).toBe(9); // nothing of the refused batch was taken
    await file.append([record]);
    expect(file.totalBytes).toBe(1000);

    await file.deleteBelow(6);
    await file.append([record, record]);
    expect((await readAll(file)).at(-1)!.seq).toBe(11);
  });

  it('cuts off a torn tail (a crash mid-write) on open, reports it, and appends after the last whole record', async () => {
    const dir = await tempDir();
    const first = await openFile({ dir });
    await first.file.append(payloads(3));
    await first.file.close();
    const segment = join(dir, segmentName(0));
    const goodSize = (await stat(segment)).size;
    // Half of the next frame made it to disk.
    await appendFile(segment, encodeFrame(3, Buffer.from('never acknowledged')).subarray(0, 20));

    const again = await openFile({ dir });
    expect(again.corruption).toEqual([
      { reason: 'torn_tail', segment: segmentName(0), position: goodSize, bytesSkipped: 20 },
    ]);
    expect((await stat(segment)).size).toBe(goodSize);
    expect(again.file.endSeq).toBe(3);
    await again.file.append([Buffer.from('after')]);
    await again.file.close();

    const third = await openFile({ dir });
    expect((await readAll(third.file)).map((r) => r.text)).toEqual(['r-0', 'r-1', 'r-2', 'after']);
    expect(third.corruption).toEqual([]);
  });

  it('skips a record whose CRC does not match, reports it once with its reason, and reads the records after it', async () => {
    const dir = await tempDir();
    const first = await openFile({ dir, maxSegmentBytes: 1_000_000 });
    await first.file.append(payloads(5));
    await first.file.close();
    const segment = join(dir, segmentName(0));
    const frameBytes = FRAME_HEADER_BYTES + 3; // 'r-0' … 'r-4'
    const handle = await open(segment, 'r+');
    // Flip one payload byte of record 2.
    const at = 2 * frameBytes + FRAME_HEADER_BYTES + 1;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    await handle.write(Buffer.from([byte[0]! ^ 0x40]), 0, 1, at);
    await handle.close();

    const again = await openFile({ dir });
    expect(again.corruption).toEqual([
      { reason: 'crc_mismatch', segment: segmentName(0), position: 2 * frameBytes, bytesSkipped: frameBytes },
    ]);
    expect(await readAll(again.file)).toEqual([
      { seq: 0, text: 'r-0' },
      { seq: 1, text: 'r-1' },
      { seq: 3, text: 'r-3' },
      { seq: 4, text: 'r-4' },
    ]);
    expect(again.corruption).toHaveLength(1); // reading past it again does not count it again
    expect(again.file.endSeq).toBe(5);
  });

  it('skips a record with a damaged length field and finds the next whole record', async () => {
    const dir = await tempDir();
    const first = await openFile({ dir });
    await first.file.append(payloads(4));
    await first.file.close();
    const frameBytes = FRAME_HEADER_BYTES + 3;
    const handle = await open(join(dir, segmentName(0)), 'r+');
    await handle.write(Buffer.from([0x00, 0x00, 0x00, 0x07]), 0, 4, frameBytes + 4); // record 1 claims 7 bytes
    await handle.close();

    const again = await openFile({ dir });
    expect(again.corruption.map((e) => [e.reason, e.position, e.bytesSkipped])).toEqual([
      ['crc_mismatch', frameBytes, frameBytes],
    ]);
    expect((await readAll(again.file)).map((r) => r.seq)).toEqual([0, 2, 3]);
  });

  it('skips a long run of garbage between records and finds the records after it', async () => {
    const dir = await tempDir();
    const first = await openFile({ dir });
    await first.file.append(payloads(3));
    await first.file.close();
    const segment = join(dir, segmentName(0));
    const garbageAt = (await stat(segment)).size;
    // Fixed bytes (a SHA-256 chain), not fresh random ones: random garbage can, rarely, hold a frame
    // header whose length and CRC happen to read as more corruption entries, and the test flaked.
    const garbage = Buffer.concat(
      Array.from({ length: 8192 }, (_, i) => createHash('sha256').update(`garbage-${i}`).digest()),
    );
    await appendFile(segment, garbage);
    await appendFile(segment, Buffer.concat([3, 4].map((seq) => encodeFrame(seq, Buffer.from(`r-${seq}`)))));

    const again = await openFile({ dir });
    expect(again.corruption).toEqual([
      { reason: 'crc_mismatch', segment: segmentName(0), position: garbageAt, bytesSkipped: 256 * 1024 },
    ]);
    expect((await readAll(again.file)).map((r) => r.text)).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
    expect((await again.file.append([Buffer.from('r-5')])).firstSeq).toBe(5);
  });

  it('after kill -9 mid-append, every acknowledged record is there, whole and in order, and appends go on', async () => {
    const dir = await tempDir();
    const input: RecordFileWriterInput = { dir, maxSegmentBytes: 64 * 1024, writers: 8 };
    const child = startChild('record-file-writer.fixture.ts', input);
    const acked: RecordFileWriterMessage[] = [];
    child.process.on('message', (m: RecordFileWriterMessage) => acked.push(m));
    await child.message((m) => (acked.length >= 400 ? m : undefined));
    child.process.kill('SIGKILL');
    await expect(child.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect((await readdir(dir)).length).toBeGreaterThan(1); // it rotated before dying

    const { file, corruption } = await openFile({ dir, maxSegmentBytes: 64 * 1024 });
    expect(corruption.filter((e) => e.reason === 'crc_mismatch')).toEqual([]);
    const records = await readAll(file);
    const bySeq = new Map(records.map((r) => [r.seq, r.text]));
    for (const batch of acked) {
      for (const [i, payload] of batch.payloads.entries())
        expect(bySeq.get(batch.firstSeq + i)).toBe(payload);
    }
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    const next = await file.append([Buffer.from('after the crash')]);
    expect(next.firstSeq).toBe(records.length);
    const segments = (await readdir(dir)).sort();
    const tail = await readFile(join(dir, segments.at(-1)!));
    expect(tail.subarray(-'after the crash'.length).toString()).toBe('after the crash');
  });
});
