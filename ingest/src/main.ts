/**
 * Composition root of ingest as its own process (services mode). It opens only the ports it needs
 * (object store, event log, catalog, feature store), serves uploads and the catalog API, and runs an outbox relay.
 * Analytics forgets a deleted video's features itself, on its video.deleted event.
 */

import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import { ALL_TOPICS } from '@streamloop/core/topics';
import { runProcess } from '@streamloop/service-kit/run-process';
import { requireConfigured } from '@streamloop/service-kit/secrets';
import { mountIngest } from './mount-ingest.js';
import { uploadLimits } from './upload-limits.js';

await runProcess({
  name: 'ingest',
  ports: ['objectStore', 'eventLog', 'catalog', 'featureStore'],
  // Uploads still commit with Kafka away: their jobs and events wait in the outbox for the relay.
  // The feature store only gives ladder plans their audience (a reference one without it).
  optionalPorts: ['eventLog', 'featureStore'],
  async start({ config, logger, registry, ports, app }) {
    const apiKey = requireConfigured(config.apiKey, 'STREAMLOOP_API_KEY');
    await ports.eventLog.ensureTopics(ALL_TOPICS);
    const applied = await ports.catalog.migrate();
    if (applied.length > 0) logger.info({ applied }, 'catalog migrations applied');

    mountIngest(app, {
      ...uploadLimits(config.uploads),
      ...ports,
      s3: config.s3,
      dataDir: config.dataDir,
      apiKey,
      logger,
      registry,
    });
    const relay = createOutboxRelay({ catalog: ports.catalog, eventLog: ports.eventLog, logger });
    relay.start();
    return { stop: () => relay.stop(), urls: { uploads: '/uploads/', videos: '/api/v1/videos' } };
  },
});
