/**
 * Composition root of the single-process stack: every service in one process, each port on its real
 * service when configured and on its embedded default otherwise.
 */
import { ALL_TOPICS } from '@streamloop/core/topics';
import { ALL_PORTS } from '@streamloop/service-kit/open-ports';
import { runProcess } from '@streamloop/service-kit/run-process';

await runProcess({
  name: 'stack',
  ports: ALL_PORTS,
  async start({ ports, logger }) {
    await ports.eventLog.ensureTopics(ALL_TOPICS);
    const applied = await ports.catalog.migrate();
    if (applied.length > 0) logger.info({ applied }, 'catalog migrations applied');
  },
});
