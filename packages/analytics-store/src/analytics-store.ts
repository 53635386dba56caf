import type { ClickHouseClient, ClickHouseSettings, Row } from '@clickhouse/client';
import type { AdapterInfo, Port } from '@streamloop/core/port';
import { runMigrations } from './migrate.js';
import type { NativeBlock } from './native-block.js';

export interface ReadonlyLimits {
  maxExecutionTimeS: number;
  maxResultRows: number;
  /** Per query; the engine kills the query beyond it (MEMORY_LIMIT_EXCEEDED). */
  maxMemoryUsageBytes?: number;
  /** Bytes read from tables before filtering; beyond it TOO_MANY_ROWS_OR_BYTES. */
  maxBytesToRead?: number;
}

/** Text formats analyst SQL can stream in (one ClickHouse output format each). */
export type ReadonlyStreamFormat = 'JSONEachRow' | 'CSVWithNames' | 'JSONCompactEachRowWithNamesAndTypes';

export interface ReadonlyStreamOptions {
  format: ReadonlyStreamFormat;
  /** Extra output settings (e.g. `date_time_output_format`), applied before `readonly`. */
  outputSettings?: Record<string, string>;
}

export interface AnalyticsStore extends Port {
  /** For named query functions in owner packages: the same client API over HTTP and in-process. */
  readonly client: ClickHouseClient;
  /** Unqualified table names resolve here on both adapters; qualify anyway in owner code. */
  readonly database: string;
  /** Applies numbered `.sql` files of `dir` (`{db}` → database); returns the names applied. */
  migrate(dir: URL | string): Promise<string[]>;
  /**
   * Writes one Native block (native-block.ts) into `table` (qualified, an identifier from code) as
   * ONE insert statement carrying `settings` (a dedup token, say): over HTTP the block is the
   * request body; chdb takes text bodies only, so it reads the block from a file the adapter writes.
   * Resolves once the insert (and its materialized views) is done.
   */
  insertNative(table: string, block: NativeBlock, settings: InsertSettings): Promise<void>;
  /** Analyst SQL: read-only, time- and row-limited, `{name:Type}` params bound by the engine. */
  readonlyQuery<R>(sql: string, params: Record<string, unknown>, limits: ReadonlyLimits): Promise<R[]>;
  /**
   * Analyst SQL as a stream of text lines without their `\n` (a row each, after the header lines of
   * the format; a CSV value holding a newline spans two, so join with `\n` to get the bytes back),
   * under the same read-only rules; rejects if the query fails to start.
   */
  readonlyStream(
    sql: string,
    params: Record<string, unknown>,
    limits: ReadonlyLimits,
    options: ReadonlyStreamOptions,
  ): Promise<AsyncIterable<string>>;
}

/**
 * Settings both adapters apply to every query, so results look the same. ClickHouse 26 (chdb here)
 * writes 64-bit integers as bare JSON numbers, which JavaScript rounds above 2^53; quoted, they
 * arrive as exact strings.
 */
export const SESSION_SETTINGS = { output_format_json_quote_64bit_integers: 1 } as const;

/** Statement-level settings of an insert: names are identifiers, values literals. */
export type InsertSettings = Readonly<Record<string, string | number>>;

/** `SETTINGS a = 1, b = 'x'` for an INSERT statement: inline settings hold for that statement only. */
export function settingsClause(settings: InsertSettings): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return '';
  return `SETTINGS ${entries
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new Error(`not a setting name: ${JSON.stringify(name)}`);
      return `${name} = ${typeof value === 'number' ? String(value) : sqlString(value)}`;
    })
    .join(', ')}`;
}

export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

export interface ClientStoreOptions {
  client: ClickHouseClient;
  database: string;
  adapter: AdapterInfo;
  /** CREATE DATABASE IF NOT EXISTS, however the adapter has to do it. */
  ensureDatabase(): Promise<void>;
  insertNative: AnalyticsStore['insertNative'];
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
    insertNative: options.insertNative,
    async readonlyQuery<R>(
      sql: string,
      params: Record<string, unknown>,
      limits: ReadonlyLimits,
    ): Promise<R[]> {
      const result = await client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: readonlySettings(limits),
      });
      return result.json<R>();
    },
    async readonlyStream(sql, params, limits, { format, outputSettings = {} }) {
      const result = await client.query({
        query: sql,
        query_params: params,
        format,
        clickhouse_settings: readonlySettings(limits, outputSettings),
      });
      return rowTexts(result.stream());
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

/** Order matters: once `readonly` is 1 no later setting may change, so everything else goes first. */
function readonlySettings(limits: ReadonlyLimits, extra: Record<string, string> = {}): ClickHouseSettings {
  assertLimits(limits);
  return {
    ...extra,
    max_execution_time: limits.maxExecutionTimeS,
    timeout_overflow_mode: 'throw',
    max_result_rows: String(limits.maxResultRows),
    result_overflow_mode: 'throw',
    ...(limits.maxMemoryUsageBytes === undefined
      ? {}
      : { max_memory_usage: String(limits.maxMemoryUsageBytes) }),
    ...(limits.maxBytesToRead === undefined
      ? {}
      : { max_bytes_to_read: String(limits.maxBytesToRead), read_overflow_mode: 'throw' }),
    // 1, not 2: readonly=2 lets file() read the server's disk.
    readonly: '1',
  } as ClickHouseSettings;
}

/** One string per row, as the engine sends them; the stream's own errors (mid-result) propagate. */
async function* rowTexts(stream: AsyncIterable<Row[]>): AsyncIterable<string> {
  for await (const rows of stream) {
    for (const row of rows) yield row.text;
  }
}

function assertLimits(limits: ReadonlyLimits): void {
  if (
    !(limits.maxExecutionTimeS > 0) ||
    !Number.isInteger(limits.maxResultRows) ||
    limits.maxResultRows < 1 ||
    !positiveOrUnset(limits.maxMemoryUsageBytes) ||
    !positiveOrUnset(limits.maxBytesToRead)
  ) {
    throw new RangeError(
      'readonlyQuery limits must be positive (maxExecutionTimeS > 0, maxResultRows, maxMemoryUsageBytes, maxBytesToRead ≥ 1 integers)',
    );
  }
}

const positiveOrUnset = (value: number | undefined): boolean =>
  value === undefined || (Number.isInteger(value) && value >= 1);
