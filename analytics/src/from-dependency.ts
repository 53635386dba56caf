/**
 * A dependency that does not answer (the analytics store, the feature store, the catalog) is its
 * failure: a 503 `ERR_DEPENDENCY_UNAVAILABLE` naming it, the cause in the log, never a 500 with its
 * internals. An AppError found on the way (a 404) passes through as it is.
 */
import { AppError } from '@streamloop/core/errors';
import type { FastifyBaseLogger } from 'fastify';

export async function fromDependency<T>(
  log: FastifyBaseLogger,
  what: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof AppError) throw err;
    log.error({ err }, `${what} read failed`);
    throw new AppError('ERR_DEPENDENCY_UNAVAILABLE', `the ${what} did not answer; try again`);
  }
}
