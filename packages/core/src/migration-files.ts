/**
 * The numbered migration files of a folder (`001_videos.sql`, `002_…`), read in order. Each store
 * package applies them its own way (PostgreSQL in transactions, ClickHouse statement by statement);
 * which files count and in which order is the same everywhere.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MigrationFile {
  /** File name without `.sql`, e.g. `001_videos`; what a store records as applied. */
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

/** Numbered `.sql` files of `dir`, ordered by their number (then by name). */
export async function readMigrationFiles(dir: URL | string): Promise<MigrationFile[]> {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const files = (await readdir(path)).filter((f) => MIGRATION_FILE.test(f));
  files.sort(
    (a, b) => Number(MIGRATION_FILE.exec(a)?.[1]) - Number(MIGRATION_FILE.exec(b)?.[1]) || a.localeCompare(b),
  );
  return Promise.all(
    files.map(async (file) => ({
      name: file.replace(/\.sql$/, ''),
      sql: await readFile(join(path, file), 'utf8'),
    })),
  );
}
