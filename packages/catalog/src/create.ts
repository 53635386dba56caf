import { type Config, embeddedPath } from '@streamloop/core/config';
import { DependencyUnavailableError, reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Catalog } from './catalog.js';
import { createPgCatalog } from './pg-catalog.js';
import { createPgliteCatalog } from './pglite-catalog.js';

const VERIFY_TIMEOUT_MS = 10_000;

/**
 * DATABASE_URL set: PostgreSQL, verified with `SELECT 1` within ~10 s. Unset: embedded PostgreSQL
 * (PGlite) at `<dataDir>/catalog`. Migrations are the caller's step (`catalog.migrate()`).
 */
export async function createCatalog(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  deps: { logger: Pick<Logger, 'warn'> },
): Promise<Catalog> {
  if (config.databaseUrl === undefined) {
    return createPgliteCatalog({ dataDir: embeddedPath(config, 'catalog') });
  }
  const url = config.databaseUrl;
  const catalog = createPgCatalog({ url, logger: deps.logger, connectionTimeoutMillis: VERIFY_TIMEOUT_MS });
  try {
    await withTimeout(
      catalog.ping(),
      VERIFY_TIMEOUT_MS + 500,
      () => new Error(`no answer within ${VERIFY_TIMEOUT_MS / 1000} s`),
    );
    return catalog;
  } catch (err) {
    await catalog.close().catch(() => undefined);
    throw new DependencyUnavailableError(
      'PostgreSQL',
      'DATABASE_URL',
      withoutPassword(url),
      explain(err, url),
    );
  }
}

function explain(err: unknown, url: string): string {
  // 3D000 invalid_catalog_name: the server is up, the database is not.
  if ((err as { code?: unknown }).code === '3D000') {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return `database ${name} does not exist; create it with createdb ${name}`;
  }
  return reasonOf(err);
}

function withoutPassword(raw: string): string {
  const url = new URL(raw);
  url.password = '';
  return url.toString();
}
