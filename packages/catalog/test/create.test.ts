import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DependencyUnavailableError } from '@streamloop/core/errors';
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../src/create.js';
import { getVideo, insertVideo } from '../src/video-repository.js';
import { postgresUrl } from '../src/testing.js';

const logger = { warn: () => undefined };

describe('createCatalog', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'streamloop-create-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('without DATABASE_URL keeps an embedded catalog under <dataDir>/catalog that survives a restart', async () => {
    const first = await createCatalog({ databaseUrl: undefined, dataDir }, { logger });
    expect(first.adapter).toEqual({
      port: 'catalog',
      kind: 'embedded',
      service: 'PGlite',
      target: join(dataDir, 'catalog'),
    });
    await first.migrate();
    const video = await insertVideo(first, { title: 'Kept across restarts' });
    // One connection: a top-level query inside a transaction would wait for itself.
    await expect(first.transaction(() => first.query('SELECT 1'))).rejects.toThrow(/use the `tx` handle/);

    await expect(createCatalog({ databaseUrl: undefined, dataDir }, { logger })).rejects.toThrow(
      /in use by process .*set DATABASE_URL/,
    );
    await first.close();
    await first.close();

    const second = await createCatalog({ databaseUrl: undefined, dataDir }, { logger });
    expect(await second.migrate()).toEqual([]);
    expect((await getVideo(second, video.id))?.title).toBe('Kept across restarts');
    await second.close();
  });

  it('with DATABASE_URL connects to PostgreSQL and answers ping', async () => {
    const catalog = await createCatalog({ databaseUrl: postgresUrl(), dataDir }, { logger });
    expect(catalog.adapter).toMatchObject({ kind: 'real', service: 'PostgreSQL' });
    await catalog.ping();
    await catalog.close();
  });

  it('names the variable, the address without password and the reason when nothing listens', async () => {
    const err = await createCatalog(
      { databaseUrl: 'postgres://app:s3cret@127.0.0.1:1/streamloop', dataDir },
      { logger },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    const message = (err as Error).message;
    expect(message).toContain('PostgreSQL');
    expect(message).toContain('DATABASE_URL=postgres://app@127.0.0.1:1/streamloop');
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret');
  });

  it('says how to create a database that does not exist', async () => {
    const missing = uniqueName('streamloop_missing').toLowerCase();
    const url = new URL(postgresUrl());
    url.pathname = `/${missing}`;
    const err = await createCatalog({ databaseUrl: url.toString(), dataDir }, { logger }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toContain(
      `database ${missing} does not exist; create it with createdb ${missing}`,
    );
  });
});
