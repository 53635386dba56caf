import type { Logger } from '@streamloop/core/logger';
import pg from 'pg';
import { type Catalog, mapCatalogErrors, type SqlSession, toCatalogError } from './catalog.js';
import { listMigrations, runMigrations } from './migrate.js';

export interface PgCatalogOptions {
  /** postgres://user:pass@host:port/db */
  url: string;
  logger: Pick<Logger, 'warn'>;
  connectionTimeoutMillis?: number;
  /** Pool size; defaults to pg's 10. */
  max?: number;
}

const INT8_OID = 20;

// bigint/bigserial arrive as numbers, as they do from PGlite, so rows look the same on both adapters.
const types: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)),
};

/** Catalog on a PostgreSQL server through a `pg` Pool. Lazy: nothing connects until the first query. */
export function createPgCatalog(options: PgCatalogOptions): Catalog {
  const pool = new pg.Pool({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    max: options.max,
    types,
  });
  // An idle client losing its server emits here; unhandled it would crash the process.
  pool.on('error', (err) => options.logger.warn({ err: err.message }, 'idle PostgreSQL connection failed'));
  let closed: Promise<void> | undefined;

  const query = <R extends object>(sql: string, params?: unknown[]): Promise<R[]> =>
    mapCatalogErrors(async () => (await pool.query<R>(sql, params)).rows);

  async function transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const session: SqlSession = {
      query: (sql, params) => mapCatalogErrors(async () => (await client.query(sql, params)).rows),
      exec: (script) => mapCatalogErrors(async () => void (await client.query(script))),
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(session);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is unusable; destroy it rather than hand it to the next caller.
        broken = rollbackErr as Error;
      }
      throw toCatalogError(err);
    } finally {
      client.release(broken);
    }
  }

  return {
    adapter: { port: 'catalog', kind: 'real', service: 'PostgreSQL', target: describeTarget(options.url) },
    query,
    transaction,
    migrate: async () => runMigrations(transaction, await listMigrations()),
    async ping() {
      await query('SELECT 1');
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}

/** host:port/database, no credentials. */
export function describeTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
