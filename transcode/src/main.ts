/**
 * Composition root of transcode as its own process (services mode). It opens only the ports it needs:
 * object store, event log, catalog.
 */
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({ name: 'transcode', ports: ['objectStore', 'eventLog', 'catalog'], start: async () => {} });
