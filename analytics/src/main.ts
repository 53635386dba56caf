/**
 * Composition root of analytics as its own process (services mode). It opens only the ports it needs:
 * event log, analytics store, catalog (API keys, the cron jobs' lock) and feature store (it forgets
 * deleted videos' features). Readiness does not require the feature store: beacons and the QoE API
 * work without it, and forgetting waits until it is back.
 */
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import { runProcess } from '@streamloop/service-kit/run-process';
import { requireConfigured } from '@streamloop/service-kit/secrets';
import { mountAnalytics } from './mount-analytics.js';

await runProcess({
  name: 'analytics',
  ports: ['eventLog', 'analyticsStore', 'featureStore', 'catalog'],
  optionalPorts: ['featureStore'],
  start: async ({ config, logger, registry, ports, app }) => {
    // Separate processes have to agree on the key, so services mode needs it configured.
    const apiKey = requireConfigured(config.apiKey, 'STREAMLOOP_API_KEY');
    const analytics = await mountAnalytics(app, {
      eventLog: ports.eventLog,
      analyticsStore: ports.analyticsStore,
      catalog: ports.catalog,
      featureStore: ports.featureStore,
      databaseUrl: config.databaseUrl,
      alertWebhook: config.alertWebhook,
      privacyMinViewers: config.privacyMinViewers,
      logger,
      registry,
      // Scoped keys live in the catalog; the configured key keeps every scope.
      apiKey: createApiKeyAuth({ legacyKey: apiKey, catalog: ports.catalog }),
    });
    return { stop: analytics.stop, urls: { 'QoE API': '/api/v1/qoe/overview?videoId=' } };
  },
});
