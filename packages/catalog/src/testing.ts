/**
 * For the tests of every package that keeps its state in PostgreSQL: the configured server (or a
 * loud failure naming it) and a database of a test file's own on it, dropped afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import pg from 'pg';
import type { Catalog } from './catalog.js';
import { createPgCatalog } from './pg-catalog.js';
import { createPgliteCatalog } from './pglite-catalog.js';

/** DATABASE_URL from the environment, or a loud failure naming the service and `npm run infra:up`. */
export function postgresUrl(): string {
  return requireService('PostgreSQL', 'DATABASE_URL', loadConfig(process.env).databaseUrl);
}

export function postgresAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database on the server of `url` (created through the `postgres` database), dropped by
 * `drop()`; `prefix` names its owner, for whoever finds one left behind.
 */
export async function createScratchDatabase(url: string, prefix = 'streamloop'): Promise<ScratchDatabase> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await assertReachable('PostgreSQL', postgresAddress(url), () => client.connect());
  const name = uniqueName(prefix).toLowerCase();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface CatalogUnderTest {
  catalog: Catalog;
  teardown(): Promise<void>;
}

/**
 * Both adapters, each opening a fresh catalog with every migration applied (a scratch PostgreSQL
 * database, a PGlite temp directory): `describe.each(TEST_CATALOGS)` runs a suite on each.
 */
export const TEST_CATALOGS: [string, () => Promise<CatalogUnderTest>][] = [
  [
    'PostgreSQL',
    async () => {
      const scratch = await createScratchDatabase(postgresUrl());
      const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
      await catalog.migrate();
      return { catalog, teardown: () => catalog.close().then(scratch.drop) };
    },
  ],
  [
    'PGlite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'streamloop-catalog-'));
      const catalog = await createPgliteCatalog({ dataDir: join(dir, 'catalog') });
      await catalog.migrate();
      return {
        catalog,
        teardown: () => catalog.close().then(() => rm(dir, { recursive: true, force: true })),
      };
    },
  ],
];
