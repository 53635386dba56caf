/**
 * One analyst query: the engine parses and judges it (sql-guard.ts), then the canonical text runs
 * read-only under the endpoint's limits and streams out in the format asked for. Errors that
 * happen before the first byte become AppErrors; after it, the stream is destroyed (the client sees
 * a cut response, as with any streamed HTTP body).
 */
import { Readable } from 'node:stream';
import type { AnalyticsStore, ReadonlyLimits } from '@streamloop/analytics-store/analytics-store';
import { AppError } from '@streamloop/core/errors';
import { ARROW_SOURCE_SETTINGS, toArrowStream } from './sql-arrow.js';
import { queryError, refusalError } from './sql-errors.js';
import { inspectSql } from './sql-guard.js';

export type SqlFormat = 'json' | 'csv' | 'arrow';

export const SQL_CONTENT_TYPES: Record<SqlFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.stream',
};

export const DEFAULT_SQL_LIMITS: Required<ReadonlyLimits> = {
  maxExecutionTimeS: 30,
  maxResultRows: 1_000_000,
  maxMemoryUsageBytes: 2 * 1024 ** 3,
  maxBytesToRead: 50 * 1024 ** 3,
};

export interface SqlRequest {
  query: string;
  format: SqlFormat;
  params?: Record<string, unknown>;
}

type SqlStore = Pick<AnalyticsStore, 'readonlyQuery' | 'readonlyStream' | 'database'>;

export async function runAnalystSql(
  store: SqlStore,
  request: SqlRequest,
  limits: ReadonlyLimits,
): Promise<Readable> {
  const params = request.params ?? {};
  try {
    const verdict = await inspectSql(store, request.query, params, store.database);
    if (verdict.kind === 'refused') throw refusalError(verdict.reason, verdict.detail);
    const source = await store.readonlyStream(verdict.sql, params, limits, {
      format:
        request.format === 'csv'
          ? 'CSVWithNames'
          : request.format === 'json'
            ? 'JSONEachRow'
            : 'JSONCompactEachRowWithNamesAndTypes',
      ...(request.format === 'arrow' ? { outputSettings: ARROW_SOURCE_SETTINGS } : {}),
    });
    // Pull the first line now: an error the server sends at once still gets a proper status.
    const lines = await primed(source);
    if (request.format === 'arrow') return toArrowStream(lines);
    return Readable.from(request.format === 'csv' ? csvBytes(lines) : jsonArrayBytes(lines));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw queryError(err) ?? err;
  }
}

/** Awaits the first element, then replays it ahead of the rest. */
async function primed(source: AsyncIterable<string>): Promise<AsyncIterable<string>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done === true) return;
      yield first.value;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
        yield next.value;
    },
  };
}

async function* csvBytes(lines: AsyncIterable<string>): AsyncIterable<string> {
  for await (const line of lines) yield `${line}\n`;
}

/** A JSON array of row objects, written row by row. */
async function* jsonArrayBytes(lines: AsyncIterable<string>): AsyncIterable<string> {
  let first = true;
  yield '[';
  for await (const line of lines) {
    yield first ? `\n${line}` : `,\n${line}`;
    first = false;
  }
  yield '\n]\n';
}
