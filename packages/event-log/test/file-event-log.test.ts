/**
 * What the embedded file log does beyond the shared contract and its durability half: a damaged
 * record is skipped and counted while consumers go on, segments every group committed are deleted
 * while a lagging group holds its own, and two callers creating one topic at once share its files.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileEventLog, type FileEventLogDeps } from '../src/file-event-log.js';
import { FRAME_HEADER_BYTES, segmentName } from '../src/record-file.js';
import {
  createCapturedLogger,
  createRecorder,
  createTempDirs,
  deferred,
  makeMessage,
  makeSequence,
} from './helpers.js';

const temp = createTempDirs('file-event-log-');
const tempDir = temp.dir;
const openLog = async (
  dir: string,
  options: { maxSegmentBytes?: number } = {},
  deps: FileEventLogDeps = {},
) => temp.keep(await createFileEventLog({ dir, ...options }, deps));
afterEach(temp.cleanup);

describe('embedded file log', () => {
  it('skips a damaged record with a logged, counted reason, and consumers get every other message', async () => {
    const dir = await tempDir();
    const first = await openLog(dir);
    await first.ensureTopics([{ name: 't', partitions: 1 }]);
    const messages = [0, 1, 2, 3].map((i) => makeMessage({ id: `m-${i}`, key: 'k' }));
    await first.publish('t', messages);
    await first.close();

    // Flip the last byte of the second record, as a bad disk would.
    const segment = path.join(dir, 'topics', 't', '0', segmentName(0));
    const handle = await open(segment, 'r+');
    const recordBytes = (await handle.stat()).size / 4;
    const at = 2 * recordBytes - 1;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, at);
    await handle.close();
    expect(recordBytes).toBeGreaterThan(FRAME_HEADER_BYTES);

    const { logger, lines } = createCapturedLogger();
    const damaged: string[] = [];
    const log = await openLog(
      dir,
      {},
      { logger, onCorruption: (e) => damaged.push(`${e.topic}/${e.partition}: ${e.reason}`) },
    );
    expect(damaged).toEqual(['t/0: crc_mismatch']);
    expect(
      lines.some((l) => String(l.msg).includes('skipped a damaged record') && l.reason === 'crc_mismatch'),
    ).toBe(true);
    const recorder = createRecorder();
    await log.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, ...recorder });
    await eventually('the readable messages, and no lag left', async () =>
      recorder.handled.length >= 3 && (await log.lag('g', 't')) === 0 ? true : undefined,
    );
    expect(recorder.handled.map((m) => [m.offset, JSON.parse(m.value.toString()).id])).toEqual([
      ['0', 'm-0'],
      ['2', 'm-2'],
      ['3', 'm-3'],
    ]);
  });

  it('deletes segments every group has committed, and keeps what a lagging group has not', async () => {
    const dir = await tempDir();
    const log = await openLog(dir, { maxSegmentBytes: 1024 });
    await log.ensureTopics([{ name: 't', partitions: 1 }]);
    const fast = createRecorder();
    const gate = deferred();
    const slow = createRecorder({ gate: gate.promise });
    await log.subscribe({ groupId: 'fast', topics: ['t'], fromBeginning: true, ...fast });
    await log.subscribe({ groupId: 'slow', topics: ['t'], fromBeginning: true, maxBatchSize: 1, ...slow });
    for (let i = 0; i < 10; i++) await log.publish('t', makeSequence(20, 1, `b${i}`));
    const partitionDir = path.join(dir, 'topics', 't', '0');
    await eventually('the fast group done', async () =>
      (await log.lag('fast', 't')) === 0 ? true : undefined,
    );
    const held = (await readdir(partitionDir)).length;
    expect(held).toBeGreaterThan(3); // the slow group is at its first message: nothing may go

    gate.resolve();
    await eventually('the slow group done', async () =>
      (await log.lag('slow', 't')) === 0 ? true : undefined,
    );
    await eventually('committed segments deleted', async () =>
      (await readdir(partitionDir)).length === 1 ? true : undefined,
    );
    expect(slow.handled).toHaveLength(200);
    expect(fast.handled).toHaveLength(200);
  });

  it('two callers ensuring one topic at once share it', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    await Promise.all([
      log.ensureTopics([{ name: 't', partitions: 2 }]),
      log.ensureTopics([{ name: 't', partitions: 2 }]),
    ]);
    await log.publish('t', makeSequence(10, 5));
    const recorder = createRecorder();
    await log.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, ...recorder });
    await eventually('all ten', () => (recorder.handled.length >= 10 ? true : undefined));
    await log.close();
    const again = await openLog(dir);
    expect(await again.lag('g', 't')).toBe(0);
  });
});
