/**
 * A topic of the file-backed embedded log: one record file per partition, a message's offset is its
 * record's sequence number. Consumers read from the files (the page cache), so memory does not grow
 * with what is held on disk; whole segments below every group's commit are deleted.
 */
import { join } from 'node:path';
import type { EventMessage } from './event-log.js';
import { byPartition, consumedMessage, type LocalPartition, type LocalTopic } from './memory-topic.js';
import { type CorruptionEvent, openRecordFile, type RecordFile } from './record-file.js';

export interface FileTopicOptions {
  /** The topic's own directory. */
  dir: string;
  name: string;
  partitions: number;
  maxSegmentBytes?: number;
  onCorruption?(event: CorruptionEvent & { topic: string; partition: number }): void;
}

/** timestamp f64 | key length u32 | key | headers length u32 | headers JSON | value */
export function encodeMessage(message: EventMessage, timestamp: number): Buffer {
  const key = Buffer.from(message.key, 'utf8');
  const headers =
    message.headers && Object.keys(message.headers).length > 0
      ? Buffer.from(JSON.stringify(message.headers), 'utf8')
      : Buffer.alloc(0);
  const head = Buffer.allocUnsafe(12);
  head.writeDoubleBE(timestamp, 0);
  head.writeUInt32BE(key.length, 8);
  const headersLength = Buffer.allocUnsafe(4);
  headersLength.writeUInt32BE(headers.length, 0);
  return Buffer.concat([head, key, headersLength, headers, message.value]);
}

export function decodeMessage(payload: Buffer): { message: EventMessage; timestamp: number } {
  const timestamp = payload.readDoubleBE(0);
  const keyLength = payload.readUInt32BE(8);
  const key = payload.toString('utf8', 12, 12 + keyLength);
  const headersAt = 12 + keyLength;
  const headersLength = payload.readUInt32BE(headersAt);
  const valueAt = headersAt + 4 + headersLength;
  const message: EventMessage = { key, value: payload.subarray(valueAt) };
  if (headersLength > 0) {
    message.headers = JSON.parse(payload.toString('utf8', headersAt + 4, valueAt)) as Record<string, string>;
  }
  return { message, timestamp };
}

function filePartition(
  topic: string,
  partition: number,
  file: RecordFile,
): LocalPartition & { file: RecordFile } {
  return {
    file,
    get startOffset() {
      return file.startSeq;
    },
    get endOffset() {
      return file.endSeq;
    },
    async read(from, max) {
      const { records, nextSeq } = await file.read(from, { maxRecords: max });
      const messages = records.map(({ seq, payload }) => {
        const { message, timestamp } = decodeMessage(payload);
        return consumedMessage(topic, partition, seq, timestamp, message);
      });
      return { messages, next: nextSeq };
    },
    async releaseBelow(offset) {
      await file.deleteBelow(offset);
    },
  };
}

export async function openFileTopic(
  options: FileTopicOptions,
): Promise<LocalTopic & { close(): Promise<void> }> {
  const partitions = await Promise.all(
    Array.from({ length: options.partitions }, async (_, partition) => {
      const file = await openRecordFile({
        dir: join(options.dir, String(partition)),
        ...(options.maxSegmentBytes === undefined ? {} : { maxSegmentBytes: options.maxSegmentBytes }),
        onCorruption: (event) => options.onCorruption?.({ ...event, topic: options.name, partition }),
      });
      return filePartition(options.name, partition, file);
    }),
  );
  return {
    name: options.name,
    partitions,
    async append(messages, timestamp) {
      await Promise.all(
        [...byPartition(messages, partitions.length)].map(([partition, group]) =>
          partitions[partition]!.file.append(group.map((m) => encodeMessage(m, timestamp))),
        ),
      );
    },
    async close() {
      await Promise.all(partitions.map((p) => p.file.close()));
    },
  };
}
