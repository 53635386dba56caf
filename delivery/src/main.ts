/**
 * Composition root of delivery as its own process (services mode). It opens only the ports it needs:
 * object store, catalog, feature store.
 */
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({ name: 'delivery', ports: ['objectStore', 'catalog', 'featureStore'], start: async () => {} });
