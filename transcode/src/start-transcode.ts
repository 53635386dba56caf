/**
 * Everything transcode runs in a process, started the same way by its own process (main.ts) and the
 * single-process stack: one worker in the 'transcode' group, and the outbox relay that publishes the
 * ready/failed events its status changes write, so they never wait for (or on) ingest.
 */
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import type { Config } from '@streamloop/core/config';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createTranscodeWorker } from './transcode-worker.js';

export interface TranscodeDeps {
  config: Pick<Config, 'dataDir' | 'hlsEncryption' | 'transcodeContentProbe' | 'transcodePerTitle'>;
  ports: { objectStore: ObjectStore; eventLog: EventLog; catalog: Catalog };
  logger: Logger;
  registry: Registry;
}

/** Resolves once the worker has joined its group; `stop` finishes the job in flight, then the relay. */
export async function startTranscode(deps: TranscodeDeps): Promise<{ stop(): Promise<void> }> {
  const { config, ports, logger, registry } = deps;
  const worker = createTranscodeWorker({
    ...ports,
    logger,
    registry,
    workDir: path.join(config.dataDir, 'transcode'),
    encryption: config.hlsEncryption,
    contentProbe: config.transcodeContentProbe,
    perTitle: config.transcodePerTitle,
  });
  await worker.start();
  const relay = createOutboxRelay({ catalog: ports.catalog, eventLog: ports.eventLog, logger });
  relay.start();
  return {
    stop: async () => {
      await worker.stop();
      await relay.stop();
    },
  };
}
