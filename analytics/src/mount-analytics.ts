/**
 * Everything analytics runs, mounted on an app: its ClickHouse migrations, the beacons topic, the
 * beacon consumer, the experiment exposure consumer, the QoE, experiment-results, feature-status,
 * recommendations, recommendation-health and alert routes, the cron jobs (once per fleet, through the
 * catalog's job lock; the feature jobs and the alert checks among them) and the consumer that forgets
 * a deleted video's features. Its own process (main.ts) and the single-process stack both call this,
 * so they run the same code.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createJobLock } from '@streamloop/catalog/job-lock';
import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import type { Config } from '@streamloop/core/config';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { ApiKeyOption } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { runAlertChecks } from './alerts/alert-job.js';
import { registerAlertRoutes } from './alerts/alert-routes.js';
import { createAlertWebhook } from './alerts/alert-webhook.js';
import { createBeaconConsumer } from './beacon-consumer.js';
import { runGuardrailChecks } from './experiments/experiment-guardrail-job.js';
import { registerExperimentResultsRoute } from './experiments/experiment-results-route.js';
import { createExposureConsumer } from './exposure-consumer.js';
import { createDeletedVideoConsumer } from './features/deleted-video-consumer.js';
import { createFeatureJobs } from './features/feature-jobs.js';
import { registerFeatureRoutes } from './features/feature-routes.js';
import { createQoeJobs } from './jobs/qoe-jobs.js';
import { MIGRATIONS_DIR } from './migrations-dir.js';
import { registerQoeRoutes } from './qoe-routes.js';
import { registerRecommendationHealthRoute } from './recommendations/recommendation-health-route.js';
import { recommendationsRoutes } from './recommendations/recommendations-route.js';
import { registerSqlRoutes } from './sql-routes.js';

export interface AnalyticsDeps extends Pick<Config, 'databaseUrl'> {
  /** Where alert events are POSTed (ALERT_WEBHOOK_URL/SECRET); unset: kept and shown only. */
  alertWebhook?: Config['alertWebhook'];
  /** QOE_PRIVACY_MIN_VIEWERS (privacy-floor.ts); default 5. */
  privacyMinViewers?: Config['privacyMinViewers'];
  eventLog: EventLog;
  analyticsStore: AnalyticsStore;
  /** The cron jobs' lock, which titles may be recommended (and, in services mode, API keys). */
  catalog: Catalog;
  featureStore: FeatureStore;
  logger: Logger;
  registry: Registry;
  apiKey: ApiKeyOption;
}

/** Resolves once migrated, subscribed and routed; `stop` drains the consumer (call it before closing ports). */
export async function mountAnalytics(
  app: FastifyInstance,
  deps: AnalyticsDeps,
): Promise<{ stop(): Promise<void> }> {
  const applied = await deps.analyticsStore.migrate(MIGRATIONS_DIR);
  if (applied.length > 0) deps.logger.info({ applied }, 'analytics migrations applied');
  // Poison beacons go to the dead-letter topic; without it one would block its partition.
  await deps.eventLog.ensureTopics([
    TOPICS.qoeBeacons,
    TOPICS.videoEvents,
    TOPICS.experimentExposures,
    TOPICS.experimentEvents,
    TOPICS.deadLetter,
  ]);
  registerQoeRoutes(app, {
    analyticsStore: deps.analyticsStore,
    apiKey: deps.apiKey,
    ...(deps.privacyMinViewers === undefined ? {} : { privacyMinViewers: deps.privacyMinViewers }),
  });
  registerSqlRoutes(app, { analyticsStore: deps.analyticsStore, apiKey: deps.apiKey });
  registerExperimentResultsRoute(app, {
    analyticsStore: deps.analyticsStore,
    catalog: deps.catalog,
    apiKey: deps.apiKey,
  });
  registerFeatureRoutes(app, { featureStore: deps.featureStore, apiKey: deps.apiKey });
  registerAlertRoutes(app, { catalog: deps.catalog, apiKey: deps.apiKey });
  registerRecommendationHealthRoute(app, {
    analyticsStore: deps.analyticsStore,
    catalog: deps.catalog,
    apiKey: deps.apiKey,
  });
  // Its own scope (a plugin), so its per-address rate limit touches no other route.
  app.register(recommendationsRoutes, {
    featureStore: deps.featureStore,
    catalog: deps.catalog,
    apiKey: deps.apiKey,
  });
  // Each consumer reads its own topic with the log, logs as its component and counts in the registry.
  const consumerDeps = (component: string) => ({
    eventLog: deps.eventLog,
    logger: deps.logger.child({ component }),
    registry: deps.registry,
  });
  const consumers = [
    createBeaconConsumer({ ...consumerDeps('beacon-consumer'), analyticsStore: deps.analyticsStore }),
    createExposureConsumer({ ...consumerDeps('exposure-consumer'), analyticsStore: deps.analyticsStore }),
    createDeletedVideoConsumer({
      ...consumerDeps('deleted-video-consumer'),
      featureStore: deps.featureStore,
    }),
  ];
  for (const consumer of consumers) await consumer.start();
  const jobLock = createJobLock({
    catalog: deps.catalog,
    databaseUrl: deps.databaseUrl,
    logger: deps.logger,
  });
  const featureJobs = createFeatureJobs({
    analyticsStore: deps.analyticsStore,
    featureStore: deps.featureStore,
    logger: deps.logger.child({ component: 'feature-jobs' }),
    registry: deps.registry,
  });
  const qoeJobs = createQoeJobs({
    analyticsStore: deps.analyticsStore,
    lock: jobLock,
    logger: deps.logger.child({ component: 'qoe-jobs' }),
    registry: deps.registry,
    experimentGuardrails: () =>
      runGuardrailChecks({
        analyticsStore: deps.analyticsStore,
        catalog: deps.catalog,
        logger: deps.logger.child({ component: 'experiment-guardrails' }),
      }),
    featureJobs: () => featureJobs.runAll(),
    alertChecks: () =>
      runAlertChecks({
        analyticsStore: deps.analyticsStore,
        catalog: deps.catalog,
        webhook: deps.alertWebhook === undefined ? undefined : createAlertWebhook(deps.alertWebhook),
        logger: deps.logger.child({ component: 'alerts' }),
      }),
  });
  qoeJobs.start();
  // Guardrails stop arms here, and a stop's event waits in the catalog outbox: publish it from here too.
  const relay = createOutboxRelay({
    catalog: deps.catalog,
    eventLog: deps.eventLog,
    logger: deps.logger.child({ component: 'outbox-relay' }),
  });
  relay.start();
  return {
    stop: async () => {
      await qoeJobs.stop();
      await relay.stop();
      await jobLock.close();
      // The reverse of their start.
      for (const consumer of consumers.reverse()) await consumer.stop();
    },
  };
}
