/**
 * The keys CLI's commands on an embedded catalog (PGlite in a temp dir): the first key of a fresh
 * catalog, create with scopes (secret printed once), list, revoke, and usage errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findApiKey } from '@streamloop/catalog/api-key-repository';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFirstApiKey } from '../src/first-api-key.js';
import { KeysUsageError, runKeysCommand } from '../src/keys-command.js';

describe('streamloop-keys', () => {
  let dir: string;
  let catalog: Catalog;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-keys-'));
    catalog = await createPgliteCatalog({ dataDir: path.join(dir, 'catalog') });
    await catalog.migrate();
  });
  afterAll(async () => {
    await catalog?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a fresh catalog gets one first key with every scope, and only once', async () => {
    const first = await ensureFirstApiKey(catalog);
    expect(first).toMatch(/^sl_[0-9a-f]{16}_/);
    expect(await ensureFirstApiKey(catalog)).toBeUndefined();
    expect((await findApiKey(catalog, first!.split('_')[1]!))?.scopes).toEqual([
      'upload',
      'manage',
      'analytics-read',
      'analytics-views',
      'experiments',
    ]);
  });

  it('creates, lists and revokes a key', async () => {
    const created = await runKeysCommand(
      ['create', '--scopes', 'upload,analytics-read', '--owner', 'acme', '--rate-limit', '30'],
      catalog,
    );
    const id = /created key ([0-9a-f]{16})/.exec(created)?.[1];
    expect(created).toContain('owner acme, scopes upload,analytics-read, 30/min');
    expect(created).toMatch(new RegExp(`\\nsl_${id}_[A-Za-z0-9_-]{43}\\n`));
    expect(await runKeysCommand(['list', '--owner', 'acme'], catalog)).toMatch(
      new RegExp(`^${id}  acme  upload,analytics-read  30/min  active`),
    );
    expect(await runKeysCommand(['revoke', id!], catalog)).toBe(`revoked key ${id}`);
    expect(await runKeysCommand(['list', '--owner', 'acme'], catalog)).toContain('revoked ');
  });

  it.each([
    [['create'], /needs --scopes/],
    [['create', '--scopes', 'admin'], /unknown scope admin/],
    [['create', '--scopes', 'upload', '--rate-limit', '0'], /positive integer/],
    [['revoke'], /needs the key id/],
    [['revoke', 'nosuchkey'], /no API key nosuchkey/],
    [['rotate'], /unknown command rotate/],
  ])('%j is a usage error', async (argv, message) => {
    const outcome = runKeysCommand(argv, catalog);
    await expect(outcome).rejects.toThrow(message);
    await expect(outcome).rejects.toBeInstanceOf(KeysUsageError);
  });
});
