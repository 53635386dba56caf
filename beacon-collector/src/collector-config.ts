/** Maps the BEACON_* variables (core config) onto the collector's route options; unset keeps each default. */
import type { BeaconCollectorConfig } from '@streamloop/core/config';
import type { CollectorDeps } from './mount-collector.js';

export function collectorOptions(
  config: BeaconCollectorConfig,
): Pick<CollectorDeps, 'allowedOrigins' | 'countryHeader' | 'rateLimit' | 'buffer'> {
  const { rateLimitPerSecond: perSecond, bufferMaxBeacons } = config;
  return {
    ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: config.allowedOrigins }),
    ...(config.countryHeader === undefined ? {} : { countryHeader: config.countryHeader }),
    // A burst of two seconds' worth lets a page flush its queue after a stall.
    ...(perSecond === undefined
      ? {}
      : { rateLimit: perSecond === 0 ? false : { perSecond, burst: perSecond * 2 } }),
    ...(bufferMaxBeacons === undefined ? {} : { buffer: { maxBuffered: bufferMaxBeacons } }),
  };
}
