/**
 * The collector's way to Kafka, where "accepted" means durable: `write` resolves only once the
 * event log acknowledged the messages (Kafka: acks=all) — `'published'` — or, while the log is
 * unavailable, once they are fsynced to a bounded local spool — `'spooled'`. Anything else rejects,
 * and then nothing of that write was taken (the route answers 503 and the client resends).
 *
 * Direct path: writes wait in a bounded queue; one loop publishes them in batches of whole writes
 * (≤ `maxBatch` messages and ≤ `maxBatchBytes`) — while a publish is in flight the next batch gathers, so under load one
 * acks=all round trip serves many requests (group commit). A publish that fails, or takes longer
 * than `publishTimeoutMs`, turns the output to spooling: that batch and everything queued behind it
 * are appended to the spool in arrival order, and so is every later write, until the spool is
 * drained. (A timed-out publish may land after all; its spooled copy is then a duplicate, which
 * consumers remove on `beaconId`.)
 *
 * Spool: event-log's record file — append-only segments, a CRC per record, group-commit fsync, a
 * byte bound (full → the write rejects with SpoolFullError, nothing of it kept). One record per
 * write. A drain loop publishes the records in order, retrying with backoff until the log takes
 * them, checkpoints how far it got (`drained`, next to the segments, fsynced) and deletes drained
 * segments. Replay is at least once — a crash after a publish and before its checkpoint sends those
 * records again, byte for byte — and consumers remove the duplicates on `beaconId`.
 * Only once the spool is empty do writes go direct again, so per-key order holds across an outage.
 * On start, whatever a previous process left in the spool (a crash, a shutdown during an outage)
 * is drained first: replay. A damaged record (CRC mismatch, torn tail) is skipped, counted by
 * reason and logged — the drain goes on.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { isProcessAlive } from '@streamloop/core/process-alive';
import { retryUntilOk, sleep } from '@streamloop/event-log/backoff';
import type {
  BatchingPublisherMetrics,
  BatchingPublisherOptions,
} from '@streamloop/event-log/batching-publisher';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import {
  type CorruptionEvent,
  openRecordFile,
  type RecordFile,
  RecordFileFullError,
  writeFileAtomically,
} from '@streamloop/event-log/record-file';
import { type Ok, ok, type Retry, retry } from '@streamloop/event-log/step-result';

export interface SpoolOptions {
  dir: string;
  /** Bytes on disk at most; a write that would pass it is refused whole. */
  maxBytes: number;
  maxSegmentBytes?: number;
}

/** The batching publisher's knobs (`maxBuffered` counts units here), a required timeout, and the spool. */
export interface DurableOutputOptions
  extends Pick<BatchingPublisherOptions, 'name' | 'topic' | 'maxBuffered' | 'maxBatch' | 'retry'> {
  /** A direct publish slower than this counts as failed: the output turns to the spool. */
  publishTimeoutMs: number;
  /**
   * Bytes of message values per publish at most (one write may pass it alone), direct or drained
   * from the spool. Kafka refuses a record batch over the broker's `message.max.bytes` (1 MiB by
   * default) for good — a batch that size would be retried, and spooled, and retried, forever.
   */
  maxBatchBytes?: number;
  /** Without one, a failed publish rejects its writes (503) instead of spooling them. */
  spool?: SpoolOptions;
}

export interface DurableOutputMetrics extends BatchingPublisherMetrics {
  spooled?: { inc(value?: number): void };
  spoolBytes?: { set(value: number): void };
  spoolSkipped?: { inc(labels: { reason: string }, value?: number): void };
}

export type WriteOutcome = 'published' | 'spooled';

/** The write was not taken: the spool has no room for it. */
export class SpoolFullError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SpoolFullError';
  }
}

/** The write was not taken: the memory queue is full, the log failed with no spool, or the output is closed. */
export class OutputUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'OutputUnavailableError';
  }
}

export interface DurableOutput {
  /** Opens the spool and starts draining what a previous process left in it. */
  open(): Promise<void>;
  /** `units`: what the metrics count (beacons), carried with the write through the spool. */
  write(messages: EventMessage[], units: number): Promise<WriteOutcome>;
  /** True while writes go to the spool. */
  readonly spooling: boolean;
  /**
   * Stops taking writes, lets the queued ones finish (published or spooled) and stops the drain;
   * spooled records stay for the next start. Resolves with the units neither published nor
   * spooled after `timeoutMs` (their writes were rejected).
   */
  close(timeoutMs: number): Promise<number>;
}

interface PendingWrite {
  messages: EventMessage[];
  units: number;
  /** Of the message values, what a batch is bounded by. */
  bytes: number;
  resolve(outcome: WriteOutcome): void;
  reject(err: Error): void;
}

/** One spool record: the write's messages and units. u32 units | u32 count | (u32 len, key, u32 len, value)… */
export function encodeSpoolRecord(messages: readonly EventMessage[], units: number): Buffer {
  const parts: Buffer[] = [Buffer.alloc(8)];
  parts[0]!.writeUInt32BE(units, 0);
  parts[0]!.writeUInt32BE(messages.length, 4);
  for (const { key, value, headers } of messages) {
    if (headers !== undefined) throw new Error('the spool does not keep message headers');
    const keyBytes = Buffer.from(key);
    const lengths = Buffer.alloc(4);
    lengths.writeUInt32BE(keyBytes.length, 0);
    const valueLength = Buffer.alloc(4);
    valueLength.writeUInt32BE(value.length, 0);
    parts.push(lengths, keyBytes, valueLength, value);
  }
  return Buffer.concat(parts);
}

export function decodeSpoolRecord(payload: Buffer): { messages: EventMessage[]; units: number } {
  const units = payload.readUInt32BE(0);
  const count = payload.readUInt32BE(4);
  const messages: EventMessage[] = [];
  let at = 8;
  for (let i = 0; i < count; i++) {
    const keyLength = payload.readUInt32BE(at);
    const key = payload.toString('utf8', at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    const valueLength = payload.readUInt32BE(at);
    if (at + 4 + valueLength > payload.length) throw new RangeError('a message runs past the record');
    messages.push({ key, value: Buffer.from(payload.subarray(at + 4, at + 4 + valueLength)) });
    at += 4 + valueLength;
  }
  if (at !== payload.length) throw new RangeError('bytes left over after the last message');
  return { messages, units };
}

/** Half of Kafka's default `message.max.bytes`: a publish's batch for one partition is never larger than the whole. */
export const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;

const CHECKPOINT = 'drained';
const OWNER = 'owner.pid';

/**
 * One process per spool: two appending to the same segments would interleave their frames. The
 * owner's pid is kept next to the segments; a dead owner (a crash, kill -9) is taken over. Best
 * effort against a misconfiguration (two collectors on one data dir), not a lock.
 */
async function claimSpool(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const owner = Number(await readFile(join(dir, OWNER), 'utf8').catch(() => ''));
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
    throw new Error(
      `the beacon spool ${dir} belongs to process ${owner}, which is running; give each collector its own STREAMLOOP_DATA_DIR`,
    );
  }
  await writeFile(join(dir, OWNER), String(process.pid));
}

export function createDurableOutput(
  options: DurableOutputOptions,
  deps: { eventLog: Pick<EventLog, 'publish'>; logger: Logger; metrics?: DurableOutputMetrics },
): DurableOutput {
  const { name, topic, maxBuffered, maxBatch, publishTimeoutMs } = options;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const { eventLog, logger } = deps;
  const metrics = deps.metrics ?? {};
  let queue: PendingWrite[] = [];
  let queuedUnits = 0;
  let inFlightUnits = 0;
  let directRunning: Promise<void> | undefined;
  let spool: RecordFile | undefined;
  let spooling = false;
  let drainedSeq = 0;
  let draining: Promise<void> | undefined;
  /** Spool appends not yet settled, and the newest of them (the drain waits for it before going direct). */
  let appending = 0;
  let lastAppend: Promise<unknown> = Promise.resolve();
  let closed = false;
  const stop = new AbortController();

  const setBuffered = () => metrics.buffered?.set(queuedUnits + inFlightUnits);
  const setSpoolBytes = () => metrics.spoolBytes?.set(spool?.totalBytes ?? 0);

  function skipped(reason: string, detail: Record<string, unknown>): void {
    metrics.spoolSkipped?.inc({ reason });
    logger.error({ output: name, reason, ...detail }, 'spool record skipped: it cannot be read back');
  }

  async function publishTimed(messages: EventMessage[]): Promise<void> {
    const endTimer = metrics.publishDuration?.startTimer();
    await withTimeout(
      eventLog.publish(topic, messages),
      publishTimeoutMs,
      () => new Error(`publish took longer than ${publishTimeoutMs} ms`),
    );
    endTimer?.();
  }

  function toSpool(write: PendingWrite): void {
    const record = encodeSpoolRecord(write.messages, write.units);
    appending++;
    const appended = spool!.append([record]).then(
      () => {
        metrics.spooled?.inc(write.units);
        write.resolve('spooled');
        startDrain();
      },
      (err: unknown) => {
        write.reject(
          err instanceof RecordFileFullError
            ? new SpoolFullError(err.message)
            : new OutputUnavailableError(`the spool failed: ${reasonOf(err)}`),
        );
      },
    );
    lastAppend = appended.finally(() => {
      appending--;
      setSpoolBytes();
    });
  }

  async function runDirect(): Promise<void> {
    while (queue.length > 0 && !spooling) {
      const batch: PendingWrite[] = [];
      const messages: EventMessage[] = [];
      let bytes = 0;
      while (
        queue.length > 0 &&
        (batch.length === 0 ||
          (messages.length + queue[0]!.messages.length <= maxBatch &&
            bytes + queue[0]!.bytes <= maxBatchBytes))
      ) {
        const write = queue.shift()!;
        bytes += write.bytes;
        batch.push(write);
        for (const message of write.messages) messages.push(message);
        queuedUnits -= write.units;
        inFlightUnits += write.units;
      }
      try {
        await publishTimed(messages);
        for (const write of batch) {
          metrics.published?.inc(write.units);
          write.resolve('published');
        }
      } catch (err) {
        metrics.publishFailures?.inc();
        const rest = queue;
        queue = [];
        queuedUnits = 0;
        if (spool === undefined) {
          logger.warn(
            { output: name, topic, reason: reasonOf(err) },
            'publish failed; its requests are refused',
          );
          for (const write of batch)
            write.reject(new OutputUnavailableError(`the event log failed: ${reasonOf(err)}`));
          queue = rest;
          for (const write of rest) queuedUnits += write.units;
        } else {
          logger.warn(
            { output: name, topic, reason: reasonOf(err), writes: batch.length + rest.length },
            'the event log does not take messages; spooling them until it does',
          );
          spooling = true;
          // In arrival order: the failed batch first, then what queued behind it.
          for (const write of [...batch, ...rest]) toSpool(write);
        }
      } finally {
        inFlightUnits = 0;
        setBuffered();
      }
    }
    directRunning = undefined;
  }

  async function drain(dir: string): Promise<void> {
    const file = spool!;
    while (!stop.signal.aborted) {
      if (drainedSeq >= file.endSeq) {
        if (appending > 0) {
          await lastAppend;
          continue;
        }
        spooling = false;
        logger.info({ output: name, topic }, 'spool drained; publishing directly again');
        if (queue.length > 0) directRunning ??= runDirect();
        return;
      }
      const { records, nextSeq } = await file.read(drainedSeq, {
        maxRecords: maxBatch,
        maxBytes: maxBatchBytes,
      });
      const messages: EventMessage[] = [];
      let units = 0;
      for (const record of records) {
        try {
          const decoded = decodeSpoolRecord(record.payload);
          messages.push(...decoded.messages);
          units += decoded.units;
        } catch (err) {
          skipped('undecodable', { seq: record.seq, detail: reasonOf(err) });
        }
      }
      if (messages.length > 0) {
        let failed = false;
        const attempt = async (): Promise<Ok<void> | Retry> => {
          try {
            await publishTimed(messages);
            return ok(undefined);
          } catch (err) {
            return retry(err);
          }
        };
        try {
          await retryUntilOk(attempt, {
            backoff: options.retry,
            signal: stop.signal,
            onRetry(err, attempt, retryInMs) {
              failed = true;
              metrics.publishFailures?.inc();
              logger[attempt <= 3 ? 'warn' : 'error'](
                { output: name, topic, records: records.length, attempt, retryInMs, reason: reasonOf(err) },
                'spooled records not published; retrying them',
              );
            },
          });
        } catch (err) {
          if (stop.signal.aborted) return; // closing: the records stay for the next start
          throw err;
        }
        metrics.published?.inc(units);
        if (failed)
          logger.info({ output: name, topic }, 'the event log takes messages again; draining the spool');
      }
      if (nextSeq <= drainedSeq) {
        // Nothing readable yet below endSeq (cannot normally happen): do not spin.
        await sleep(50, stop.signal).catch(() => undefined);
        continue;
      }
      drainedSeq = nextSeq;
      // Fsynced before any segment below it is deleted, so after a crash the checkpoint is never
      // older than the segments left. A crash between the publish above and this line replays
      // those records: the same bytes again, which consumers remove on beaconId.
      await writeFileAtomically(dir, CHECKPOINT, String(drainedSeq));
      await file.deleteBelow(drainedSeq);
      setSpoolBytes();
    }
  }

  function startDrain(): void {
    if (spool === undefined || draining !== undefined || closed) return;
    const dir = options.spool!.dir;
    draining = drain(dir)
      .catch((err: unknown) => {
        // Disk trouble reading the spool: log loudly and try again later; writes keep spooling.
        logger.error({ output: name, reason: reasonOf(err) }, 'spool drain failed; retrying');
        return sleep(1000, stop.signal).catch(() => undefined);
      })
      .finally(() => {
        draining = undefined;
        if (spooling && !closed) startDrain();
      });
  }

  return {
    get spooling() {
      return spooling;
    },

    async open() {
      if (options.spool === undefined) return;
      const { dir, maxBytes, maxSegmentBytes } = options.spool;
      await claimSpool(dir);
      spool = await openRecordFile({
        dir,
        maxTotalBytes: maxBytes,
        maxSegmentBytes:
          maxSegmentBytes ?? Math.max(64 * 1024, Math.min(16 * 1024 * 1024, Math.floor(maxBytes / 8))),
        onCorruption: (event: CorruptionEvent) => skipped(event.reason, { ...event }),
      });
      const saved = Number(await readFile(join(dir, CHECKPOINT), 'utf8').catch(() => '0'));
      // Never past what is on disk (a checkpoint newer than the segments would skip new records).
      drainedSeq = Math.min(Math.max(Number.isSafeInteger(saved) ? saved : 0, spool.startSeq), spool.endSeq);
      setSpoolBytes();
      if (spool.endSeq > drainedSeq) {
        spooling = true;
        logger.warn(
          { output: name, topic, records: spool.endSeq - drainedSeq },
          'replaying what the spool kept from before this start',
        );
        startDrain();
      }
    },

    write(messages, units) {
      if (closed) return Promise.reject(new OutputUnavailableError(`the ${name} output is closed`));
      return new Promise<WriteOutcome>((resolve, reject) => {
        let bytes = 0;
        for (const { value } of messages) bytes += value.length;
        const write: PendingWrite = { messages, units, bytes, resolve, reject };
        if (spooling) {
          toSpool(write);
          return;
        }
        if (queuedUnits + units > maxBuffered) {
          reject(new OutputUnavailableError(`more than ${maxBuffered} waiting for the event log`));
          return;
        }
        queue.push(write);
        queuedUnits += units;
        setBuffered();
        directRunning ??= runDirect();
      });
    },

    async close(timeoutMs) {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([
        (async () => {
          while (directRunning !== undefined) await directRunning;
          await lastAppend;
        })(),
        timedOut,
      ]);
      clearTimeout(timer);
      const left = queuedUnits + inFlightUnits;
      for (const write of queue) write.reject(new OutputUnavailableError(`the ${name} output is closed`));
      queue = [];
      stop.abort(new Error(`the ${name} output is closed`));
      await draining;
      await spool?.close();
      if (left > 0)
        logger.error(
          { output: name, topic, units: left },
          'closing with writes neither published nor spooled',
        );
      return left;
    },
  };
}
