/** Maps the BEACON_* variables (core config) onto the collector's route options; unset keeps each default. */
import { join } from 'node:path';
import type { BeaconCollectorConfig } from '@streamloop/core/config';
import type { EventLogOpenOptions } from '@streamloop/event-log/create';
import { type CollectorDeps, DEFAULT_SPOOL_MAX_BYTES } from './mount-collector.js';

/**
 * How the collector opens its event log: it serves without Kafka (spooling), so it also starts
 * without it; and its main thread, busy with HTTP, parsing and validation, leaves kafkajs' encoding,
 * CRC32C and socket writes to a producer thread (a fifth of that thread, profiled in issue 16).
 */
export const COLLECTOR_EVENT_LOG: EventLogOpenOptions = { connectInBackground: true, producerThread: true };

/** Where the collector spools beacons while Kafka is unavailable, under the data dir. */
export const SPOOL_DIR = 'beacon-spool';

/** With `dataDir`, the spool lives under it (services mode); without, there is none (503 when the log fails). */
export function collectorOptions(
  config: BeaconCollectorConfig,
  dataDir?: string,
): Pick<CollectorDeps, 'allowedOrigins' | 'countryHeader' | 'rateLimit' | 'buffer' | 'spool'> {
  const { rateLimitPerSecond: perSecond, bufferMaxBeacons } = config;
  return {
    ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: config.allowedOrigins }),
    ...(config.countryHeader === undefined ? {} : { countryHeader: config.countryHeader }),
    // A burst of two seconds' worth lets a page flush its queue after a stall.
    ...(perSecond === undefined
      ? {}
      : { rateLimit: perSecond === 0 ? false : { perSecond, burst: perSecond * 2 } }),
    ...(bufferMaxBeacons === undefined ? {} : { buffer: { maxBuffered: bufferMaxBeacons } }),
    ...(dataDir === undefined
      ? {}
      : {
          spool: { dir: join(dataDir, SPOOL_DIR), maxBytes: config.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES },
        }),
  };
}
