/**
 * Composition root of delivery as its own process (services mode). It opens only the ports it needs:
 * object store, catalog, feature store (per-title ladders, later).
 */
import { runProcess } from '@streamloop/service-kit/run-process';
import { registerDeliveryRoutes } from './routes.js';
import { requireDeliverySecrets } from './secrets.js';

await runProcess({
  name: 'delivery',
  ports: ['objectStore', 'catalog', 'featureStore'],
  async start({ config, logger, registry, ports, app }) {
    const { signingSecret, apiKey } = requireDeliverySecrets(config);
    // Idempotent and serialised by an advisory lock, so whichever service starts first migrates.
    await ports.catalog.migrate();
    registerDeliveryRoutes(app, {
      catalog: ports.catalog,
      objectStore: ports.objectStore,
      signingSecret,
      apiKey,
      logger,
      registry,
    });
    return { urls: { playback: '/api/v1/videos/:id/playback', media: '/media/:id/master.m3u8?token=' } };
  },
});
