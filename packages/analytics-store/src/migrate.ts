import type { ClickHouseClient } from '@clickhouse/client';
import { readMigrationFiles } from '@streamloop/core/migration-files';

export interface Migration {
  /** File name without `.sql`, e.g. `001_beacons`; recorded in `<db>.schema_migrations`. */
  name: string;
  /** Statements with `{db}` already replaced. */
  statements: string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Numbered `.sql` files of `dir` in order, `{db}` replaced by `database`. */
export async function listMigrations(dir: URL | string, database: string): Promise<Migration[]> {
  assertIdentifier(database);
  return (await readMigrationFiles(dir)).map(({ name, sql }) => ({
    name,
    statements: splitStatements(sql.replaceAll('{db}', database)),
  }));
}

/** Splits on `;` at the end of a line (ClickHouse runs one statement per request); drops comment-only parts. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*$/m)
    .map((part) => part.trim())
    .filter((part) => part.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--')));
}

/**
 * Applies the pending migrations of `dir` to `database`, statement by statement, and records each
 * file in `<database>.schema_migrations` once all its statements ran. ClickHouse has no transactions
 * or advisory locks: write statements that can run twice (`IF NOT EXISTS`), so that a file
 * interrupted halfway, or applied by two processes at once, converges.
 */
export async function runMigrations(
  client: ClickHouseClient,
  database: string,
  dir: URL | string,
  ensureDatabase: () => Promise<void>,
): Promise<string[]> {
  const migrations = await listMigrations(dir, database);
  await ensureDatabase();
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY name`,
  });
  const done = await client.query({
    query: `SELECT DISTINCT name FROM ${database}.schema_migrations`,
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ name: string }>()).map((row) => row.name));
  const ran: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ name: migration.name }],
      format: 'JSONEachRow',
    });
    ran.push(migration.name);
  }
  return ran;
}

export function assertIdentifier(name: string): void {
  if (!IDENTIFIER.test(name)) throw new Error(`'${name}' is not a plain ClickHouse identifier`);
}
