/**
 * Composition root of analytics as its own process (services mode). It opens only the ports it needs:
 * event log, analytics store, feature store, catalog.
 */
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({ name: 'analytics', ports: ['eventLog', 'analyticsStore', 'featureStore', 'catalog'], start: async () => {} });
