/**
 * Composition root of beacon-collector as its own process (services mode). It opens only the ports it needs:
 * event log.
 */
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({ name: 'beacon-collector', ports: ['eventLog'], start: async () => {} });
