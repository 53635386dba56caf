import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import {
  type AnalyticsStore,
  createClientAnalyticsStore,
  SESSION_SETTINGS,
  settingsClause,
  sqlString,
} from './analytics-store.js';
import { clientLog, type StoreLogger } from './client-log.js';
import { assertIdentifier } from './migrate.js';
import { SettingsScopedChdbConnection } from './settings-scoped-chdb-connection.js';

export interface ChdbStoreOptions {
  /** Data directory; chdb binds ONE per process, so open the store once and share it. */
  path: string;
  database: string;
  logger: StoreLogger;
}

/** The ClickHouse engine in-process (chdb) behind the same @clickhouse/client API as a server. */
export async function createChdbAnalyticsStore(options: ChdbStoreOptions): Promise<AnalyticsStore> {
  const { path, database } = options;
  assertIdentifier(database);
  await mkdir(path, { recursive: true });
  let connection: SettingsScopedChdbConnection;
  try {
    connection = await SettingsScopedChdbConnection.open({
      path,
      database,
      sessionSettings: SESSION_SETTINGS,
    });
  } catch (err) {
    // Typically: another store in this process holds a different data directory.
    throw new Error(`cannot open chdb at ${path}: ${(err as Error).message}`, { cause: err });
  }
  const client = createClient({ connection, database, log: clientLog(options.logger) });
  // chdb's insert takes text bodies only: a Native block goes through a file of its own, here.
  // Leftovers of a crash mid-insert are deleted at open (their batches were not committed).
  const blocksDir = `${path}-insert-blocks`;
  await rm(blocksDir, { recursive: true, force: true });
  await mkdir(blocksDir, { recursive: true });
  const ensureDatabase = async (): Promise<void> => {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  };
  return createClientAnalyticsStore({
    client,
    database,
    adapter: { port: 'analytics-store', kind: 'embedded', service: 'chdb', target: path },
    ensureDatabase,
    async insertNative(table, block, settings) {
      const file = join(blocksDir, `${randomUUID()}.native`);
      await writeFile(file, block.bytes);
      try {
        const columns = block.columns.map((c) => c.name).join(', ');
        await client.command({
          query: `INSERT INTO ${table} (${columns}) ${settingsClause(settings)} SELECT * FROM file(${sqlString(file)}, Native)`,
        });
      } finally {
        await rm(file, { force: true });
      }
    },
  });
}
