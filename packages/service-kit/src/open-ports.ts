import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createAnalyticsStore } from '@streamloop/analytics-store/create';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createCatalog } from '@streamloop/catalog/create';
import type { Config } from '@streamloop/core/config';
import type { Logger } from '@streamloop/core/logger';
import type { Port } from '@streamloop/core/port';
import { createEventLog, type EventLogOpenOptions } from '@streamloop/event-log/create';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createFeatureStore } from '@streamloop/feature-store/create';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createObjectStore } from '@streamloop/object-store/create';
import type { ObjectStore } from '@streamloop/object-store/object-store';

export interface PortMap {
  objectStore: ObjectStore;
  eventLog: EventLog;
  catalog: Catalog;
  analyticsStore: AnalyticsStore;
  featureStore: FeatureStore;
}

export type PortName = keyof PortMap;

export const ALL_PORTS: readonly PortName[] = [
  'objectStore',
  'eventLog',
  'catalog',
  'analyticsStore',
  'featureStore',
];

export type PortsConfig = Pick<
  Config,
  'dataDir' | 's3' | 'kafka' | 'databaseUrl' | 'clickhouse' | 'redisUrl'
>;

/** How a process wants particular ports opened; ports not named open the usual way. */
export interface PortOpenOptions {
  eventLog?: EventLogOpenOptions;
}

const OPENERS: {
  [K in PortName]: (config: PortsConfig, logger: Logger, options: PortOpenOptions) => Promise<PortMap[K]>;
} = {
  objectStore: (config, logger) => createObjectStore(config, { logger }),
  eventLog: (config, logger, options) => createEventLog(config, { logger }, options.eventLog),
  catalog: (config, logger) => createCatalog(config, { logger }),
  analyticsStore: (config, logger) => createAnalyticsStore(config, { logger }),
  featureStore: (config, logger) => createFeatureStore(config, { logger }),
};

/**
 * Opens the named ports side by side, each on its real service when configured, else its embedded
 * default. If any cannot be reached, the ones that opened are closed again and the first failure is
 * thrown (a DependencyUnavailableError whose message names the variable and the address).
 */
export async function openPorts<K extends PortName>(
  config: PortsConfig,
  logger: Logger,
  names: readonly K[],
  options: PortOpenOptions = {},
): Promise<Pick<PortMap, K>> {
  // Real services first: their checks fail within seconds, and an embedded store that is still
  // initialising (PGlite's first initdb takes several seconds) must not be abandoned half-written.
  const remote = names.filter((name) => IS_REMOTE[name](config));
  const local = names.filter((name) => !IS_REMOTE[name](config));
  const opened: Partial<Record<PortName, Port>> = {};
  try {
    for (const phase of [remote, local]) {
      const settled = await Promise.allSettled(
        phase.map((name) => OPENERS[name](config, logger.child({ port: name }), options) as Promise<Port>),
      );
      settled.forEach((r, i) => {
        if (r.status === 'fulfilled') opened[phase[i] as PortName] = r.value;
      });
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    }
  } catch (err) {
    await Promise.allSettled(Object.values(opened).map((port) => port.close()));
    throw err;
  }
  return opened as unknown as Pick<PortMap, K>;
}

const IS_REMOTE: { [K in PortName]: (config: PortsConfig) => boolean } = {
  objectStore: (config) => config.s3 !== undefined,
  eventLog: (config) => config.kafka !== undefined,
  catalog: (config) => config.databaseUrl !== undefined,
  analyticsStore: (config) => config.clickhouse !== undefined,
  featureStore: (config) => config.redisUrl !== undefined,
};

export function listPorts(ports: Partial<PortMap>): Port[] {
  return ALL_PORTS.flatMap((name) => (ports[name] ? [ports[name] as Port] : []));
}

/** Closes in reverse dependency order; never throws (shutdown must finish). */
export async function closePorts(ports: Partial<PortMap>, logger: Logger): Promise<void> {
  for (const port of listPorts(ports).reverse()) {
    try {
      await port.close();
    } catch (err) {
      logger.warn({ err, port: port.adapter.port }, 'error while closing');
    }
  }
}
