/**
 * Composition root of ingest as its own process (services mode). It opens only the ports it needs:
 * object store, event log, catalog.
 */
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({ name: 'ingest', ports: ['objectStore', 'eventLog', 'catalog'], start: async () => {} });
