import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLocalObjectStore } from '../src/local-object-store.js';
import { describeObjectStoreContract } from './contract.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'streamloop-objects-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Page size means nothing to a folder; every store opened here shares the same root.
describeObjectStoreContract('ObjectStore contract — local folder', async () =>
  createLocalObjectStore({ root }),
);
