/**
 * ClickHouse's answer to analyst SQL → one AppError each, with the engine's own message (it names
 * the column, the limit or the syntax position: what the analyst needs to fix the query).
 * `details.reason` tells the cases apart, since ERR_SQL_REFUSED and ERR_SQL_LIMIT_EXCEEDED cover many causes.
 */
import { AppError } from '@streamloop/core/errors';
import type { SqlRefusal } from './sql-guard.js';

/** Engine error types caused by the query itself; anything else is the store's fault. */
const LIMIT_ERRORS: Record<string, string> = {
  TIMEOUT_EXCEEDED: 'max_execution_time',
  TOO_MANY_ROWS_OR_BYTES: 'max_result_rows',
  TOO_MANY_ROWS: 'max_result_rows',
  TOO_MANY_BYTES: 'max_bytes_to_read',
  MEMORY_LIMIT_EXCEEDED: 'max_memory_usage',
  TOO_SLOW: 'max_execution_time',
};

const QUERY_ERRORS = new Set([
  'SYNTAX_ERROR',
  'UNKNOWN_TABLE',
  'UNKNOWN_IDENTIFIER',
  'UNKNOWN_FUNCTION',
  'UNKNOWN_DATABASE',
  'UNKNOWN_SETTING',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'NUMBER_OF_ARGUMENTS_DOESNT_MATCH',
  'TYPE_MISMATCH',
  'CANNOT_PARSE_TEXT',
  'BAD_ARGUMENTS',
  'ILLEGAL_AGGREGATION',
  'NOT_AN_AGGREGATE',
  'AMBIGUOUS_COLUMN_NAME',
  'UNKNOWN_QUERY_PARAMETER',
  'BAD_QUERY_PARAMETER',
  'ILLEGAL_COLUMN',
  'CANNOT_CONVERT_TYPE',
  'QUERY_IS_PROHIBITED',
  'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO',
  'ACCESS_DENIED',
]);

export function refusalError(reason: SqlRefusal, detail: string): AppError {
  return new AppError('ERR_SQL_REFUSED', `refused: ${detail}`, { reason });
}

/** Undefined: not the query's fault (the caller reports the store as unavailable). */
export function queryError(err: unknown): AppError | undefined {
  const type = (err as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  const message = firstLine((err as Error).message);
  if (type === 'READONLY') {
    // A SETTINGS clause or a write: both meet readonly = 1 before our own checks can name them.
    return refusalError('settings_not_allowed', `the endpoint is read-only with fixed limits (${message})`);
  }
  const limit = LIMIT_ERRORS[type];
  if (limit !== undefined) {
    return new AppError('ERR_SQL_LIMIT_EXCEEDED', `the query went past ${limit}: ${message}`, {
      reason: 'limit_exceeded',
      limit,
    });
  }
  if (QUERY_ERRORS.has(type))
    return new AppError('ERR_VALIDATION', message, { reason: 'invalid_query', type });
  return undefined;
}

// The engine appends stack-ish context after the first line; the first says what is wrong.
const firstLine = (text: string): string => (text.split('\n')[0] ?? '').trim();
