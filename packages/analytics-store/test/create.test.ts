import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DependencyUnavailableError } from '@streamloop/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsStore } from '../src/create.js';

const logger = { warn: () => undefined, error: () => undefined };
const FIXTURES = new URL('./fixtures/migrations/', import.meta.url);

describe('createAnalyticsStore', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'streamloop-create-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('without CLICKHOUSE_URL keeps chdb data under <dataDir>/clickhouse in database streamloop, across a restart', async () => {
    const first = await createAnalyticsStore({ clickhouse: undefined, dataDir }, { logger });
    expect(first.adapter).toEqual({
      port: 'analytics-store',
      kind: 'embedded',
      service: 'chdb',
      target: join(dataDir, 'clickhouse'),
    });
    expect(first.database).toBe('streamloop');
    expect(await first.migrate(FIXTURES)).toHaveLength(2);
    await first.client.insert({
      table: 'streamloop.events_v1',
      values: [{ session_id: 'kept', ts: '2025-01-01 00:00:00.000' }],
      format: 'JSONEachRow',
    });

    // The engine binds one data directory per process.
    const otherDir = join(dataDir, 'elsewhere');
    await expect(
      createAnalyticsStore({ clickhouse: undefined, dataDir: otherDir }, { logger }),
    ).rejects.toThrow(/cannot open chdb at .*elsewhere.*one active data directory/);
    await first.close();
    await first.close();

    const second = await createAnalyticsStore({ clickhouse: undefined, dataDir }, { logger });
    expect(await second.migrate(FIXTURES)).toEqual([]);
    expect(
      await second.readonlyQuery(
        'SELECT session_id FROM events_v1',
        {},
        { maxExecutionTimeS: 5, maxResultRows: 10 },
      ),
    ).toEqual([{ session_id: 'kept' }]);
    await second.close();
  });

  it('names the variable, the address without credentials and the reason when no server answers', async () => {
    const err = await createAnalyticsStore(
      {
        clickhouse: {
          url: 'http://127.0.0.1:1',
          user: 'analyst',
          password: 's3cret',
          database: 'streamloop',
        },
        dataDir,
      },
      { logger },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    const message = (err as Error).message;
    expect(message).toContain('ClickHouse');
    expect(message).toContain('CLICKHOUSE_URL=http://127.0.0.1:1');
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret');
  });
});
