import { AppError } from '@streamloop/core/errors';
import type { Port } from '@streamloop/core/port';

/** Anything that runs one parameterised SQL statement: the catalog itself or an open transaction. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface Catalog extends Port, Queryable {
  /** BEGIN … COMMIT around `fn`; ROLLBACK when it throws (the error is rethrown). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Applies pending migrations from packages/catalog/migrations in order; returns the names applied. */
  migrate(): Promise<string[]>;
}

/**
 * A single connection that can also run a multi-statement script (migrations). Both adapters hand
 * one of these to transaction callbacks; the public type only promises `Queryable`.
 */
export interface SqlSession extends Queryable {
  exec(script: string): Promise<void>;
}

/** A unique constraint refused the write (SQLSTATE 23505), e.g. a video id that already exists. */
export class CatalogConflictError extends AppError {
  readonly constraint: string | undefined;
  constructor(message: string, constraint: string | undefined, cause: unknown) {
    super('ERR_CONFLICT', message);
    this.name = 'CatalogConflictError';
    this.constraint = constraint;
    this.cause = cause;
  }
}

const UNIQUE_VIOLATION = '23505';

/** Maps driver errors to the catalog's typed errors; anything else passes through unchanged. */
export function toCatalogError(err: unknown): unknown {
  const e = err as { code?: unknown; detail?: unknown; constraint?: unknown; message?: unknown };
  if (e && e.code === UNIQUE_VIOLATION) {
    const detail = typeof e.detail === 'string' && e.detail !== '' ? e.detail : String(e.message);
    return new CatalogConflictError(detail, typeof e.constraint === 'string' ? e.constraint : undefined, err);
  }
  return err;
}

export async function mapCatalogErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toCatalogError(err);
  }
}
