/**
 * The embedded EventLog kept in files under the data dir, so the single-process stack loses no
 * accepted message and no committed position on a restart or a kill -9: `publish` resolves once the
 * messages are fsynced (record-file.ts, group commit), and a group's commit is fsynced before its
 * partition moves on. Segments below every group's commit are deleted, and consumers read from the
 * files, so neither memory nor disk grows with the total ever published.
 *
 * Layout under `dir`: `state.json` (topics and committed offsets, replaced atomically) and
 * `topics/<topic>/<partition>/<segments>`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog, TopicDefinition } from './event-log.js';
import { openFileTopic } from './file-topic.js';
import { createLocalEventLog } from './local-event-log.js';
import type { LocalTopic } from './memory-topic.js';
import { type CorruptionEvent, writeFileAtomically } from './record-file.js';

export interface FileEventLogOptions {
  dir: string;
  /** Size of one partition segment, the unit of deletion (default 16 MiB). */
  maxSegmentBytes?: number;
}

export interface FileEventLogDeps {
  /** Crashed subscriptions, and damaged records skipped (with their reason), are logged here. */
  logger?: Logger;
  /** Called for every damaged record skipped, after it is logged: a counter's hook. */
  onCorruption?(event: CorruptionEvent & { topic: string; partition: number }): void;
}

interface StateFile {
  version: 1;
  topics: TopicDefinition[];
  /** groupId → `<topic>\u0000<partition>` → committed offset */
  offsets: Record<string, Record<string, number>>;
}

const STATE_FILE = 'state.json';

export async function createFileEventLog(
  options: FileEventLogOptions,
  deps: FileEventLogDeps = {},
): Promise<EventLog> {
  const { dir } = options;
  await mkdir(join(dir, 'topics'), { recursive: true });
  const state = await readState(dir);
  const definitions = new Map(state.topics.map((t) => [t.name, t]));
  const offsets = new Map(
    Object.entries(state.offsets).map(([group, committed]) => [group, new Map(Object.entries(committed))]),
  );
  const topicFiles = new Map<string, LocalTopic & { close(): Promise<void> }>();

  const openTopic = (definition: TopicDefinition) =>
    openFileTopic({
      // Encoded so any topic name is one safe directory name.
      dir: join(dir, 'topics', encodeURIComponent(definition.name)),
      name: definition.name,
      partitions: definition.partitions,
      ...(options.maxSegmentBytes === undefined ? {} : { maxSegmentBytes: options.maxSegmentBytes }),
      onCorruption: (event) => {
        deps.logger?.error(
          { ...event },
          'event-log skipped a damaged record (its messages are lost; the log goes on after it)',
        );
        deps.onCorruption?.(event);
      },
    });
  for (const definition of definitions.values()) topicFiles.set(definition.name, await openTopic(definition));

  let closed = false;
  const saveState = coalesce(async () => {
    if (closed) return;
    const snapshot: StateFile = {
      version: 1,
      topics: [...definitions.values()],
      offsets: Object.fromEntries(
        [...offsets].map(([group, committed]) => [group, Object.fromEntries(committed)]),
      ),
    };
    await writeFileAtomically(dir, STATE_FILE, JSON.stringify(snapshot));
  });

  return createLocalEventLog(
    {
      adapter: { port: 'event-log', kind: 'embedded', service: 'file log', target: dir },
      topics: topicFiles,
      offsets,
      async createTopic(definition) {
        const topic = await openTopic(definition);
        topicFiles.set(definition.name, topic);
        definitions.set(definition.name, { name: definition.name, partitions: definition.partitions });
        await saveState();
        return topic;
      },
      saveOffsets: saveState,
      async close() {
        await saveState();
        closed = true;
        await Promise.all([...topicFiles.values()].map((t) => t.close()));
      },
    },
    deps,
  );
}

async function readState(dir: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, topics: [], offsets: {} };
    throw err;
  }
  // Replaced by rename only, so it is whole or it is the previous one; a parse failure is not a crash's doing.
  const state = JSON.parse(text) as StateFile;
  if (state.version !== 1)
    throw new Error(`${join(dir, STATE_FILE)} has version ${state.version}, expected 1`);
  return state;
}

/**
 * Runs `task` at most once at a time; a call while it runs gets the next run, which starts after
 * it and covers every call made meanwhile (group commit for a state file).
 */
function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const run = task().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return () => {
    if (running === undefined) return start();
    if (queued === undefined) {
      queued = running
        .catch(() => undefined)
        .then(() => {
          queued = undefined;
          return start();
        });
    }
    return queued;
  };
}
