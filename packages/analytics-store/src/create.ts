import { type Config, embeddedPath } from '@streamloop/core/config';
import { DependencyUnavailableError, reasonOf, withTimeout } from '@streamloop/core/errors';
import type { AnalyticsStore } from './analytics-store.js';
import {
  createClickHouseAnalyticsStore,
  serverAddress,
  withServerClient,
} from './clickhouse-analytics-store.js';
import type { StoreLogger } from './client-log.js';

const VERIFY_TIMEOUT_MS = 10_000;
const EMBEDDED_DATABASE = 'streamloop';

/**
 * CLICKHOUSE_URL set: a ClickHouse server, verified (credentials included) within ~10 s.
 * Unset: chdb in-process at `<dataDir>/clickhouse`, database `streamloop`.
 * Migrations are the owner's step: `store.migrate(new URL('../migrations/', import.meta.url))`.
 */
export async function createAnalyticsStore(
  config: Pick<Config, 'clickhouse' | 'dataDir'>,
  deps: { logger: StoreLogger },
): Promise<AnalyticsStore> {
  if (config.clickhouse === undefined) {
    // Loaded only here: the engine is a ~540 MB native library a server deployment never needs.
    const { createChdbAnalyticsStore } = await import('./chdb-analytics-store.js');
    return createChdbAnalyticsStore({
      path: embeddedPath(config, 'clickhouse'),
      database: EMBEDDED_DATABASE,
      logger: deps.logger,
    });
  }
  const options = { ...config.clickhouse, logger: deps.logger, requestTimeoutMs: VERIFY_TIMEOUT_MS };
  try {
    // The store's database may not exist before the first migrate, so verify without it.
    await withTimeout(
      withServerClient(
        options,
        async (client) => {
          const result = await client.ping({ select: true });
          if (!result.success) throw result.error;
        },
        { quiet: true },
      ),
      VERIFY_TIMEOUT_MS + 500,
      () => new Error(`no answer within ${VERIFY_TIMEOUT_MS / 1000} s`),
    );
  } catch (err) {
    throw new DependencyUnavailableError(
      'ClickHouse',
      'CLICKHOUSE_URL',
      serverAddress(config.clickhouse.url),
      explain(err),
    );
  }
  return createClickHouseAnalyticsStore({ ...config.clickhouse, logger: deps.logger });
}

function explain(err: unknown): string {
  const reason = reasonOf(err);
  // Something answered HTTP with an error and no ClickHouse message: usually a proxy or another service.
  return reason === 'Error' || reason === ''
    ? 'an HTTP error without a ClickHouse message; is this the ClickHouse HTTP port (8123)?'
    : reason;
}
