/**
 * Composition root of transcode as its own process (services mode). It opens only the ports it needs
 * (object store, event log, catalog) and runs one transcode worker in the 'transcode' consumer group;
 * more processes mean more workers sharing the partitions. Its own outbox relay publishes the
 * ready/failed events its status changes write, so they never wait for (or on) ingest.
 */
import path from 'node:path';
import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import { ALL_TOPICS } from '@streamloop/core/topics';
import { runProcess } from '@streamloop/service-kit/run-process';
import { createTranscodeWorker } from './transcode-worker.js';

await runProcess({
  name: 'transcode',
  ports: ['objectStore', 'eventLog', 'catalog'],
  async start({ config, logger, registry, ports }) {
    await ports.eventLog.ensureTopics(ALL_TOPICS);
    const applied = await ports.catalog.migrate();
    if (applied.length > 0) logger.info({ applied }, 'catalog migrations applied');

    const worker = createTranscodeWorker({
      ...ports,
      logger,
      registry,
      workDir: path.join(config.dataDir, 'transcode'),
      encryption: config.hlsEncryption,
    });
    await worker.start();
    const relay = createOutboxRelay({ catalog: ports.catalog, eventLog: ports.eventLog, logger });
    relay.start();
    return {
      stop: async () => {
        await worker.stop();
        await relay.stop();
      },
    };
  },
});
