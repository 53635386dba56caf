/**
 * Rows of a read as plain objects with numbers for numbers: ClickHouse quotes 64-bit integers in JSON
 * by default (a count would arrive as "12"), which every reader here would otherwise convert. The
 * counts and sums these queries return are far below 2^53, so a JS number holds them exactly.
 */
import type { AnalyticsTarget } from './beacons-table.js';

export async function jsonRows<T>(
  target: AnalyticsTarget,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await target.client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return result.json<T>();
}
