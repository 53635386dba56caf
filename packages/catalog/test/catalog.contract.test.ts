import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { createPgCatalog } from '../src/pg-catalog.js';
import { createPgliteCatalog } from '../src/pglite-catalog.js';
import { describeCatalogContract } from './contract.js';
import { createScratchDatabase, postgresAddress, postgresUrl } from '../src/testing.js';

const silent = { warn: () => undefined };
const configuredUrl = loadConfig(process.env).databaseUrl;
const pgLabel = configuredUrl === undefined ? 'DATABASE_URL not set' : postgresAddress(configuredUrl);

describeCatalogContract(`Catalog contract — PostgreSQL (${pgLabel})`, async () => {
  const scratch = await createScratchDatabase(postgresUrl());
  const catalog = createPgCatalog({ url: scratch.url, logger: silent });
  return {
    catalog,
    concurrentTransactions: true,
    async teardown() {
      await catalog.close();
      await scratch.drop();
    },
  };
});

describeCatalogContract('Catalog contract — embedded PostgreSQL (PGlite)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'streamloop-catalog-'));
  const catalog = await createPgliteCatalog({ dataDir: join(dir, 'catalog') });
  return {
    catalog,
    concurrentTransactions: false,
    async teardown() {
      await catalog.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
