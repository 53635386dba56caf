/**
 * Builders and recorders shared by the EventLog tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@streamloop/core/logger';
import type { Batch, ConsumedMessage, EventMessage } from '../src/event-log.js';

/** A message whose value names it, so a test can tell every delivery apart. */
export function makeMessage(overrides: Partial<EventMessage> & { id?: string } = {}): EventMessage {
  const { id = 'm', ...rest } = overrides;
  return { key: 'key-1', value: Buffer.from(JSON.stringify({ id })), ...rest };
}

/** `count` messages spread over `keys` keys, each knowing its key and its place in that key's sequence. */
export function makeSequence(count: number, keys: number, prefix = 'm'): EventMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const key = `${prefix}-key-${i % keys}`;
    return makeMessage({ id: `${prefix}-${i}`, key, headers: { seq: String(Math.floor(i / keys)) } });
  });
}

export function idOf(message: EventMessage): string {
  return (JSON.parse(message.value.toString('utf8')) as { id: string }).id;
}

/** Records what a handler was given; `fail` turns a batch into a thrown error (a consumer crash). */
export function createRecorder(
  options: { fail?: (batch: Batch) => Error | undefined; gate?: Promise<void> } = {},
) {
  const batches: Batch[] = [];
  const handled: ConsumedMessage[] = [];
  return {
    batches,
    handled,
    ids: () => handled.map(idOf),
    async handleBatch(batch: Batch): Promise<void> {
      batches.push(batch);
      if (options.gate) await options.gate;
      const error = options.fail?.(batch);
      if (error) throw error;
      handled.push(...batch.messages);
    },
  };
}

export function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A pino logger whose lines are kept for assertions instead of printed. */
export function createCapturedLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ name: 'event-log-test', level: 'warn', destination: sink }), lines };
}

export function sortedIds(messages: EventMessage[]): string[] {
  return messages.map(idOf).sort();
}

/**
 * Temporary directories and the things open in them, for tests on real files: `dir()` makes one,
 * `keep(x)` remembers something to close, `cleanup()` (afterEach) closes them all, then removes the dirs.
 */
export function createTempDirs(prefix: string) {
  const dirs: string[] = [];
  const open: { close(): Promise<void> }[] = [];
  return {
    async dir(): Promise<string> {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    keep<T extends { close(): Promise<void> }>(closable: T): T {
      open.push(closable);
      return closable;
    },
    async cleanup(): Promise<void> {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
