/**
 * Composition root of transcode as its own process (services mode). It opens only the ports it needs
 * (object store, event log, catalog) and runs one transcode worker in the 'transcode' consumer group;
 * more processes mean more workers sharing the partitions.
 */
import path from 'node:path';
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
    return { stop: () => worker.stop() };
  },
});
