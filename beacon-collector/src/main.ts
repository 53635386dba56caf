/**
 * Composition root of beacon-collector as its own process (services mode). It opens only the ports it
 * needs (event log), makes sure the beacon topic exists and serves `POST /v1/beacons`, spooling to
 * `<data dir>/beacon-spool` while Kafka is unavailable (and replaying that spool on start).
 */
import { TOPICS } from '@streamloop/core/topics';
import { runProcess } from '@streamloop/service-kit/run-process';
import { collectorOptions } from './collector-config.js';
import { BEACONS_PATH, mountCollector } from './mount-collector.js';

await runProcess({
  name: 'beacon-collector',
  ports: ['eventLog'],
  start: async ({ config, ports, app, logger, registry }) => {
    await ports.eventLog.ensureTopics([TOPICS.qoeBeacons]);
    mountCollector(app, {
      ...collectorOptions(config.beacons, config.dataDir),
      eventLog: ports.eventLog,
      logger,
      registry,
    });
    return { urls: { beacons: BEACONS_PATH } };
  },
});
