/**
 * Composition root of dashboards as its own process (services mode). It opens only the ports it needs:
 * none.
 */
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({ name: 'dashboards', ports: [], start: async () => {} });
