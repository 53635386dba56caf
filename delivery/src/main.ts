/**
 * Composition root of delivery as its own process (services mode). It opens only the ports it needs:
 * object store and catalog (required: no media without them) and the event log (CMCD beacons,
 * buffered while Kafka is away, so not required for readiness). Redis (REDIS_URL), where viewers'
 * start-rung hints are read, is opened beside the start rather than before it: delivery starts and
 * plays without it, only without hints.
 */
import { MEDIA_URL_PREFIX } from '@streamloop/core/object-layout';
import { TOPICS } from '@streamloop/core/topics';
import { createFeatureStore } from '@streamloop/feature-store/create';
import { runProcess } from '@streamloop/service-kit/run-process';
import { mountDelivery } from './mount-delivery.js';
import { requireDeliverySecrets } from './secrets.js';

await runProcess({
  name: 'delivery',
  ports: ['objectStore', 'eventLog', 'catalog'],
  optionalPorts: ['eventLog'],
  async start({ config, logger, registry, ports, app }) {
    const { signingSecret, apiKey } = requireDeliverySecrets(config);
    // Idempotent and serialised by an advisory lock, so whichever service starts first migrates.
    await ports.catalog.migrate();
    // Idempotent too: whichever of delivery, the collector and analytics starts first creates it.
    await ports.eventLog.ensureTopics([TOPICS.qoeBeacons, TOPICS.experimentExposures]);
    // Without REDIS_URL there is no viewer feature set to read: an empty in-memory store would only
    // count misses.
    const featureStore =
      config.redisUrl === undefined || !config.playbackStartHint
        ? undefined
        : createFeatureStore(config, { logger: logger.child({ port: 'featureStore' }) });
    mountDelivery(app, {
      catalog: ports.catalog,
      objectStore: ports.objectStore,
      eventLog: ports.eventLog,
      signingSecret,
      apiKey,
      logger,
      registry,
      startHint: config.playbackStartHint,
      ...(featureStore === undefined ? {} : { featureStore }),
    });
    return {
      stop: async () => {
        await featureStore?.then(
          (store) => store.close(),
          () => undefined,
        );
      },
      urls: { playback: '/api/v1/videos/:id/playback', media: `${MEDIA_URL_PREFIX}:id/*?token=` },
    };
  },
});
