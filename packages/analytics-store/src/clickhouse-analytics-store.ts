import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseConfig } from '@streamloop/core/config';
import {
  type AnalyticsStore,
  createClientAnalyticsStore,
  SESSION_SETTINGS,
  settingsClause,
} from './analytics-store.js';
import { clientLog, type StoreLogger } from './client-log.js';
import { assertIdentifier } from './migrate.js';

export interface ClickHouseStoreOptions extends ClickHouseConfig {
  logger: StoreLogger;
  /** Per-request HTTP timeout; keep it above the longest `maxExecutionTimeS` you allow. */
  requestTimeoutMs?: number;
}

/** A ClickHouse server over HTTP. Lazy: nothing is sent until the first call. */
export function createClickHouseAnalyticsStore(options: ClickHouseStoreOptions): AnalyticsStore {
  assertIdentifier(options.database);
  const client = createClient({ ...connectionOptions(options), database: options.database });
  return createClientAnalyticsStore({
    client,
    database: options.database,
    adapter: {
      port: 'analytics-store',
      kind: 'real',
      service: 'ClickHouse',
      target: serverAddress(options.url),
    },
    // The block is the request body, as the server reads any INSERT … FORMAT.
    async insertNative(table, block, settings) {
      const columns = block.columns.map((c) => c.name).join(', ');
      const result = await client.exec({
        query: `INSERT INTO ${table} (${columns}) ${settingsClause(settings)} FORMAT Native`,
        values: Readable.from([block.bytes]),
      });
      result.stream.resume();
      await finished(result.stream);
    },
    // The main client names the database on every request, which the server refuses while it does
    // not exist; a client without one creates it.
    ensureDatabase: async () => {
      await withServerClient(options, (c) =>
        c.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` }),
      );
    },
  });
}

/**
 * Runs `fn` with a short-lived client that names no database (checks that need none). `quiet`
 * keeps the client's own logging out of a check whose failure the caller reports itself.
 */
export async function withServerClient<T>(
  options: ClickHouseStoreOptions,
  fn: (client: ReturnType<typeof createClient>) => Promise<T>,
  { quiet = false }: { quiet?: boolean } = {},
): Promise<T> {
  const base = connectionOptions(options);
  const client = createClient(quiet ? { ...base, log: { level: ClickHouseLogLevel.OFF } } : base);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The URL without credentials, for logs and error messages. */
export function serverAddress(raw: string): string {
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

function connectionOptions(options: ClickHouseStoreOptions) {
  return {
    url: options.url,
    username: options.user,
    password: options.password,
    request_timeout: options.requestTimeoutMs ?? 60_000,
    application: 'streamloop',
    clickhouse_settings: { ...SESSION_SETTINGS },
    log: clientLog(options.logger),
  };
}
