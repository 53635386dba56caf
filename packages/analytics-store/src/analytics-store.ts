import type { ClickHouseClient } from '@clickhouse/client';
import type { AdapterInfo, Port } from '@streamloop/core/port';
import { runMigrations } from './migrate.js';

export interface ReadonlyLimits {
  maxExecutionTimeS: number;
  maxResultRows: number;
}

export interface AnalyticsStore extends Port {
  /** For named query functions in owner packages: the same client API over HTTP and in-process. */
  readonly client: ClickHouseClient;
  /** Unqualified table names resolve here on both adapters; qualify anyway in owner code. */
  readonly database: string;
  /** Applies numbered `.sql` files of `dir` (`{db}` → database); returns the names applied. */
  migrate(dir: URL | string): Promise<string[]>;
  /** Analyst SQL: read-only, time- and row-limited, `{name:Type}` params bound by the engine. */
  readonlyQuery<R>(sql: string, params: Record<string, unknown>, limits: ReadonlyLimits): Promise<R[]>;
}

/**
 * Settings both adapters apply to every query, so results look the same. ClickHouse 26 (chdb here)
 * writes 64-bit integers as bare JSON numbers, which JavaScript rounds above 2^53; quoted, they
 * arrive as exact strings.
 */
export const SESSION_SETTINGS = { output_format_json_quote_64bit_integers: 1 } as const;

export interface ClientStoreOptions {
  client: ClickHouseClient;
  database: string;
  adapter: AdapterInfo;
  /** CREATE DATABASE IF NOT EXISTS, however the adapter has to do it. */
  ensureDatabase(): Promise<void>;
}

/** Everything above the client is one code path; adapters differ only in how the client is built. */
export function createClientAnalyticsStore(options: ClientStoreOptions): AnalyticsStore {
  const { client, database } = options;
  let closed: Promise<void> | undefined;
  return {
    adapter: options.adapter,
    client,
    database,
    migrate: (dir) => runMigrations(client, database, dir, options.ensureDatabase),
    async readonlyQuery<R>(
      sql: string,
      params: Record<string, unknown>,
      limits: ReadonlyLimits,
    ): Promise<R[]> {
      assertLimits(limits);
      const result = await client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        // Order matters: once `readonly` is 1 no later setting may change, so the limits go first.
        clickhouse_settings: {
          max_execution_time: limits.maxExecutionTimeS,
          timeout_overflow_mode: 'throw',
          max_result_rows: String(limits.maxResultRows),
          result_overflow_mode: 'throw',
          // 1, not 2: readonly=2 lets file() read the server's disk.
          readonly: '1',
        },
      });
      return result.json<R>();
    },
    async ping() {
      // A SELECT, not /ping: it also proves the credentials and the database.
      const result = await client.ping({ select: true });
      if (!result.success) throw result.error;
    },
    close() {
      closed ??= client.close();
      return closed;
    },
  };
}

function assertLimits(limits: ReadonlyLimits): void {
  if (
    !(limits.maxExecutionTimeS > 0) ||
    !Number.isInteger(limits.maxResultRows) ||
    limits.maxResultRows < 1
  ) {
    throw new RangeError(
      'readonlyQuery limits must be positive (maxExecutionTimeS > 0, maxResultRows ≥ 1 integer)',
    );
  }
}
