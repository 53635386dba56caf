/**
 * The embedded EventLog held in memory: for tests and tools that want a log without a data dir.
 * Nothing persists; messages every group has committed are released, so memory follows the
 * slowest group's lag, not the total published. The stack uses the file log (file-event-log.ts).
 */
import type { Logger } from '@streamloop/core/logger';
import type { EventLog } from './event-log.js';
import { createLocalEventLog } from './local-event-log.js';
import { createMemoryTopic } from './memory-topic.js';

export interface MemoryEventLogDeps {
  /** Crashed subscriptions are logged here. */
  logger?: Logger;
}

export function createMemoryEventLog(deps: MemoryEventLogDeps = {}): EventLog {
  return createLocalEventLog(
    {
      adapter: { port: 'event-log', kind: 'embedded', service: 'in-process log', target: 'in-process' },
      topics: new Map(),
      offsets: new Map(),
      createTopic: async ({ name, partitions }) => createMemoryTopic(name, partitions),
      saveOffsets: async () => undefined,
      close: async () => undefined,
    },
    deps,
  );
}
