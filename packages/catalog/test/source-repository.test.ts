import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import { createPgCatalog } from '../src/pg-catalog.js';
import { createPgliteCatalog } from '../src/pglite-catalog.js';
import { findVideoBySource, lockSource } from '../src/source-repository.js';
import { insertVideo, updateVideoStatus } from '../src/video-repository.js';
import { createScratchDatabase, postgresUrl } from '../src/testing.js';

const SHA = 'a'.repeat(64);

describe.each([
  [
    'PostgreSQL',
    async () => {
      const scratch = await createScratchDatabase(postgresUrl());
      const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
      const close = async () => {
        await catalog.close();
        await scratch.drop();
      };
      return { catalog, close };
    },
  ],
  [
    'PGlite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'streamloop-source-'));
      const catalog = await createPgliteCatalog({ dataDir: join(dir, 'catalog') });
      const close = async () => {
        await catalog.close();
        await rm(dir, { recursive: true, force: true });
      };
      return { catalog, close };
    },
  ],
] as const)('source repository on %s', (_label, open) => {
  let catalog: Catalog;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ catalog, close } = await open());
    await catalog.migrate();
  });
  afterAll(async () => close?.());

  it("finds the owner's oldest live video with that SHA-256, not another owner's nor a failed one", async () => {
    const owner = uniqueName('owner');
    const failed = await insertVideo(catalog, {
      title: 'failed',
      owner,
      sourceSha256: SHA,
      status: 'uploaded',
    });
    await updateVideoStatus(catalog, failed.id, { status: 'failed', error: 'bad source' });
    await insertVideo(catalog, { title: 'other owner', owner: uniqueName('owner'), sourceSha256: SHA });
    const first = await insertVideo(catalog, { title: 'first', owner, sourceSha256: SHA });
    await insertVideo(catalog, { title: 'second', owner, sourceSha256: SHA });

    expect((await findVideoBySource(catalog, owner, SHA))?.id).toBe(first.id);
    expect(await findVideoBySource(catalog, owner, 'b'.repeat(64))).toBeUndefined();
    expect(await findVideoBySource(catalog, uniqueName('nobody'), SHA)).toBeUndefined();
  });

  it('lockSource makes concurrent check-then-insert transactions of one source take turns', async () => {
    const owner = uniqueName('owner');
    const insertOnce = () =>
      catalog.transaction(async (tx) => {
        await lockSource(tx, owner, SHA);
        if (await findVideoBySource(tx, owner, SHA)) return false;
        await insertVideo(tx, { title: 'raced', owner, sourceSha256: SHA });
        return true;
      });
    const inserted = await Promise.all([insertOnce(), insertOnce(), insertOnce()]);
    expect(inserted.filter(Boolean)).toHaveLength(1);
  });
});
