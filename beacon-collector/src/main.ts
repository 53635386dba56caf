/**
 * Composition root of beacon-collector as its own process (services mode). It opens only the ports it
 * needs (event log), makes sure the beacon topic exists and serves `POST /v1/beacons`, spooling to
 * `<data dir>/beacon-spool` while Kafka is unavailable (and replaying that spool on start).
 *
 * Kafka is not needed to START: the event log connects in the background, /readyz reports it
 * `degraded` (200: the collector still takes beacons, into the spool) and the spool drains once
 * Kafka answers and the topic exists. Its producer runs on a thread of its own (COLLECTOR_EVENT_LOG).
 */
import { reasonOf } from '@streamloop/core/errors';
import { TOPICS } from '@streamloop/core/topics';
import { retryUntilOk } from '@streamloop/event-log/backoff';
import { ok, retry } from '@streamloop/event-log/step-result';
import { runProcess } from '@streamloop/service-kit/run-process';
import { COLLECTOR_EVENT_LOG, collectorOptions } from './collector-config.js';
import { BEACONS_PATH, mountCollector } from './mount-collector.js';

await runProcess({
  name: 'beacon-collector',
  ports: ['eventLog'],
  optionalPorts: ['eventLog'],
  openOptions: { eventLog: COLLECTOR_EVENT_LOG },
  start: async ({ config, ports, app, logger, registry }) => {
    const stop = new AbortController();
    // Waits for the connection; until the topic exists every publish fails and beacons are spooled.
    const topicReady = retryUntilOk(
      async () => {
        try {
          return ok(await ports.eventLog.ensureTopics([TOPICS.qoeBeacons]));
        } catch (err) {
          return retry(err);
        }
      },
      {
        backoff: { initialDelayMs: 500, maxDelayMs: 10_000 },
        signal: stop.signal,
        onRetry: (err, attempt, retryInMs) =>
          logger.warn(
            { attempt, retryInMs, reason: reasonOf(err) },
            'the beacon topic cannot be ensured yet',
          ),
      },
    ).catch(() => undefined); // stopped before Kafka answered
    mountCollector(app, {
      ...collectorOptions(config.beacons, config.dataDir),
      eventLog: ports.eventLog,
      logger,
      registry,
    });
    return {
      urls: { beacons: BEACONS_PATH },
      stop: async () => {
        stop.abort(new Error('stopping'));
        await topicReady;
      },
    };
  },
});
