/**
 * Composition root of transcode as its own process (services mode). It opens only the ports it needs
 * (object store, event log, catalog) and runs one transcode worker in the 'transcode' consumer group;
 * more processes mean more workers sharing the partitions. The worker and its outbox relay start in
 * start-transcode.ts, shared with the single-process stack.
 */
import { ALL_TOPICS } from '@streamloop/core/topics';
import { runProcess } from '@streamloop/service-kit/run-process';
import { startTranscode } from './start-transcode.js';

await runProcess({
  name: 'transcode',
  ports: ['objectStore', 'eventLog', 'catalog'],
  async start({ config, logger, registry, ports }) {
    await ports.eventLog.ensureTopics(ALL_TOPICS);
    const applied = await ports.catalog.migrate();
    if (applied.length > 0) logger.info({ applied }, 'catalog migrations applied');

    return startTranscode({ config, ports, logger, registry });
  },
});
