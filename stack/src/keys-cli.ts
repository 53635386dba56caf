#!/usr/bin/env node
/**
 * Composition root of `streamloop-keys`: opens the catalog the stack uses (DATABASE_URL, or the
 * embedded one under STREAMLOOP_DATA_DIR — which a running single-process stack holds locked; use
 * `POST /api/v1/keys` then), applies migrations, runs one command.
 */
import { createCatalog } from '@streamloop/catalog/create';
import { loadConfig } from '@streamloop/core/config';
import { reasonOf } from '@streamloop/core/errors';
import { createLogger } from '@streamloop/core/logger';
import { KEYS_USAGE, KeysUsageError, runKeysCommand } from './keys-command.js';

const config = loadConfig();
const logger = createLogger({ name: 'streamloop-keys', level: 'warn' });
try {
  const catalog = await createCatalog(config, { logger });
  try {
    await catalog.migrate();
    process.stdout.write(`${await runKeysCommand(process.argv.slice(2), catalog)}\n`);
  } finally {
    await catalog.close();
  }
} catch (err) {
  process.stderr.write(`streamloop-keys: ${reasonOf(err)}\n`);
  if (err instanceof KeysUsageError) process.stderr.write(`${KEYS_USAGE}\n`);
  process.exitCode = err instanceof KeysUsageError ? 2 : 1;
}
