import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The built entry point of a streamloop process, resolved through its package like a user would. */
export function entryOf(pkg: string): string {
  return require.resolve(`@streamloop/${pkg}/main`);
}

/** Environment for a process under test: a fresh data dir, any free port, quiet logs, plus overrides. */
export function processEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ...base,
    PORT: '0',
    LOG_LEVEL: 'warn',
    STREAMLOOP_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'streamloop-e2e-')),
    ...overrides,
  };
}

/** Only the connection variables of the real services, taken from the environment npm test set up. */
export function realServiceEnv(): Record<string, string | undefined> {
  const names = [
    'KAFKA_BROKERS',
    'S3_ENDPOINT',
    'S3_BUCKET',
    'S3_REGION',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'DATABASE_URL',
    'REDIS_URL',
    'CLICKHOUSE_URL',
    'CLICKHOUSE_USER',
    'CLICKHOUSE_PASSWORD',
  ];
  return { ...Object.fromEntries(names.map((n) => [n, process.env[n]])), ...SHARED_SECRETS };
}

/** Services mode: separate processes must agree on the management key and the token secret. */
export const SHARED_SECRETS = {
  STREAMLOOP_API_KEY: 'e2e-api-key-0123456789abcdef',
  STREAMLOOP_SIGNING_SECRET: 'e2e-signing-secret-0123456789abcdef-0123456789',
};
