import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import { createChdbAnalyticsStore } from '../src/chdb-analytics-store.js';
import {
  createClickHouseAnalyticsStore,
  serverAddress,
  withServerClient,
} from '../src/clickhouse-analytics-store.js';
import { describeAnalyticsStoreContract } from './contract.js';

const logger = { warn: () => undefined, error: () => undefined };

// One chdb session per process (the engine binds one data directory): opened once for this file.
const dir = await mkdtemp(join(tmpdir(), 'streamloop-analytics-'));
const chdb = await createChdbAnalyticsStore({
  path: join(dir, 'clickhouse'),
  database: uniqueName('contract'),
  logger,
});
const [{ version }] = (await (
  await chdb.client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
).json<{
  version: string;
}>()) as [{ version: string }];

describeAnalyticsStoreContract(
  `AnalyticsStore contract — chdb (ClickHouse ${version} in-process)`,
  async () => ({
    store: chdb,
    async teardown() {
      await chdb.close();
      await rm(dir, { recursive: true, force: true });
    },
  }),
);

// No ClickHouse server runs in the default test environment; this variant runs when one is configured.
const server = loadConfig(process.env).clickhouse;
if (server !== undefined) {
  describeAnalyticsStoreContract(
    `AnalyticsStore contract — ClickHouse server (${serverAddress(server.url)})`,
    async () => {
      const config = requireService('ClickHouse', 'CLICKHOUSE_URL', server);
      await assertReachable('ClickHouse', serverAddress(config.url), () =>
        withServerClient({ ...config, logger }, async (client) => {
          const result = await client.ping({ select: true });
          if (!result.success) throw result.error;
        }),
      );
      const store = createClickHouseAnalyticsStore({
        ...config,
        database: uniqueName('streamloop_contract'),
        logger,
      });
      return {
        store,
        async teardown() {
          await store.client.command({ query: `DROP DATABASE IF EXISTS ${store.database}` });
          await store.close();
        },
      };
    },
  );
}
