import { type MigrationFile, readMigrationFiles } from '@streamloop/core/migration-files';
import type { SqlSession } from './catalog.js';

/** packages/catalog/migrations, resolved from src/ (vitest) and dist/ (built) alike. */
export const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** Recorded by name in schema_migrations. */
export type Migration = MigrationFile;

export type RunInTransaction = <T>(fn: (tx: SqlSession) => Promise<T>) => Promise<T>;

/** Numbered `.sql` files of `dir`, ordered by their number. */
export function listMigrations(dir: URL | string = MIGRATIONS_DIR): Promise<Migration[]> {
  return readMigrationFiles(dir);
}

/**
 * Applies each pending migration in its own transaction. A transaction-scoped advisory lock makes
 * racing processes take turns; whoever comes second re-reads schema_migrations under the lock and
 * skips what the first one applied.
 */
export async function runMigrations(
  runInTransaction: RunInTransaction,
  migrations: readonly Migration[],
): Promise<string[]> {
  await runInTransaction(async (tx) => {
    await lock(tx);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    const didApply = await runInTransaction(async (tx) => {
      await lock(tx);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [migration.name]);
      return true;
    });
    if (didApply) applied.push(migration.name);
  }
  return applied;
}

async function lock(tx: SqlSession): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('streamloop.catalog.schema_migrations'))");
}
