import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { type Catalog, mapCatalogErrors, type SqlSession } from './catalog.js';
import { acquireDirLock } from './dir-lock.js';
import { listMigrations, runMigrations } from './migrate.js';

export interface PgliteCatalogOptions {
  /** The PostgreSQL data directory; created on first use, kept across restarts. */
  dataDir: string;
}

/**
 * Embedded PostgreSQL (PGlite, WASM) with the same SQL and migrations as the server adapter.
 * PGlite is ONE connection: a statement issued while a transaction is open would run inside that
 * transaction, so every top-level call takes turns through a queue.
 */
export async function createPgliteCatalog(options: PgliteCatalogOptions): Promise<Catalog> {
  await mkdir(dirname(options.dataDir), { recursive: true });
  const releaseLock = await acquireDirLock(options.dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(options.dataDir);
  } catch (err) {
    await releaseLock();
    throw err;
  }
  const turn = createQueue();
  const insideTransaction = new AsyncLocalStorage<true>();
  let closed: Promise<void> | undefined;

  // On one connection, waiting for the queue from inside a transaction would wait forever.
  const refuseNested = (): void => {
    if (insideTransaction.getStore()) {
      throw new Error(
        'use the `tx` handle inside catalog.transaction(); the embedded catalog has one connection',
      );
    }
  };

  const sessionOf = (tx: Transaction): SqlSession => ({
    query: (sql, params) => mapCatalogErrors(async () => (await tx.query(sql, params)).rows as never),
    exec: (script) => mapCatalogErrors(async () => void (await tx.exec(script))),
  });

  async function transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    refuseNested();
    return turn(() =>
      mapCatalogErrors(() => db.transaction((tx) => insideTransaction.run(true, () => fn(sessionOf(tx))))),
    );
  }

  return {
    adapter: { port: 'catalog', kind: 'embedded', service: 'PGlite', target: options.dataDir },
    async query<R extends object>(sql: string, params?: unknown[]): Promise<R[]> {
      refuseNested();
      return turn(() => mapCatalogErrors(async () => (await db.query<R>(sql, params)).rows));
    },
    transaction,
    migrate: async () => runMigrations(transaction, await listMigrations()),
    async ping() {
      if (db.closed) throw new Error('embedded catalog is closed');
      await turn(() => db.query('SELECT 1'));
    },
    close() {
      closed ??= turn(async () => {
        await db.close();
        await releaseLock();
      });
      return closed;
    },
  };
}

/** Runs tasks one at a time in call order. */
function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
}
