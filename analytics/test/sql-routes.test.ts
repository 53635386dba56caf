/**
 * POST /api/v1/sql over fastify's inject, on the shared HTTP app and real chdb: what a data
 * scientist gets back in each format, and what the endpoint refuses (the engine's parser and
 * readonly = 1 decide, not a regex).
 */

import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { tableFromIPC as flechetteFromIPC } from '@uwdata/flechette';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEACONS_TABLE, toDateTime64Text } from '../src/beacons-table.js';
import { ARROW_SOURCE_SETTINGS, toArrowStream } from '../src/sql-arrow.js';
import { registerSqlRoutes } from '../src/sql-routes.js';
import { openChdbSession, storedRows } from './chdb-session.js';

const API_KEY = 'test-api-key-sql-0123456789';
const RECEIVED_AT_MS = Date.UTC(2025, 5, 1, 12, 0, 0, 250);
const chdb = await openChdbSession();
const app = buildHttpApp({
  logger: createLogger({ name: 'analytics-sql-test', level: 'silent' }),
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
registerSqlRoutes(app, {
  analyticsStore: chdb.store,
  apiKey: API_KEY,
  limits: {
    maxExecutionTimeS: 1,
    maxResultRows: 1000,
    maxMemoryUsageBytes: 500_000_000,
    maxBytesToRead: 100_000_000,
  },
});

const sql = (body: object, headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` }) =>
  app.inject({ method: 'POST', url: '/api/v1/sql', headers, payload: body });

const VIDEO = 'video-sql-1';
beforeAll(async () => {
  // Only the columns these queries read; the others take their defaults (NULL, '', 0).
  const row = (viewId: string, event: string, startupTimeMs: number | null) => ({
    beacon_id: `${viewId}-${event}`,
    event,
    video_id: VIDEO,
    view_id: viewId,
    startup_time_ms: startupTimeMs,
    received_at: toDateTime64Text(RECEIVED_AT_MS),
  });
  await chdb.store.client.insert({
    table: `${chdb.store.database}.${BEACONS_TABLE}`,
    values: [
      row('a', 'viewstart', null),
      row('a', 'playing', 400),
      row('b', 'viewstart', null),
      row('b', 'playing', 900),
    ],
    format: 'JSONEachRow',
  });
});
afterAll(async () => {
  await app.close();
  await chdb.close();
});

const STARTUPS = `SELECT view_id, startup_time_ms, received_at FROM beacons_v1
  WHERE video_id = {videoId:String} AND event = 'playing' ORDER BY view_id`;

describe('POST /api/v1/sql answers', () => {
  it('JSON: an array of row objects, parameters bound by the engine', async () => {
    const response = await sql({ query: STARTUPS, format: 'json', params: { videoId: VIDEO } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toEqual([
      { view_id: 'a', startup_time_ms: 400, received_at: '2025-06-01 12:00:00.250' },
      { view_id: 'b', startup_time_ms: 900, received_at: '2025-06-01 12:00:00.250' },
    ]);
  });

  it('CSV: a header line, then one line per row', async () => {
    const response = await sql({ query: STARTUPS, format: 'csv', params: { videoId: VIDEO } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    expect(response.body).toBe(
      '"view_id","startup_time_ms","received_at"\n' +
        '"a",400,"2025-06-01 12:00:00.250"\n' +
        '"b",900,"2025-06-01 12:00:00.250"\n',
    );
  });

  it('Arrow: an IPC stream that apache-arrow and flechette (an independent implementation) both read', async () => {
    const response = await sql({ query: STARTUPS, format: 'arrow', params: { videoId: VIDEO } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    const bytes = response.rawPayload;

    const table = tableFromIPC(bytes);
    expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['view_id', 'Utf8'],
      ['startup_time_ms', 'Uint32'],
      ['received_at', 'Timestamp<MILLISECOND>'],
    ]);
    expect(table.toArray().map((row) => row.toJSON())).toEqual([
      { view_id: 'a', startup_time_ms: 400, received_at: RECEIVED_AT_MS },
      { view_id: 'b', startup_time_ms: 900, received_at: RECEIVED_AT_MS },
    ]);

    const second = flechetteFromIPC(bytes, { useDate: false });
    expect(second.names).toEqual(['view_id', 'startup_time_ms', 'received_at']);
    expect(second.toArray()).toEqual([
      { view_id: 'a', startup_time_ms: 400, received_at: RECEIVED_AT_MS },
      { view_id: 'b', startup_time_ms: 900, received_at: RECEIVED_AT_MS },
    ]);
  });

  it('Arrow: 64-bit integers arrive exact, past 2^53', async () => {
    const response = await sql({
      query: 'SELECT number AS n, toUInt64(9007199254740993) + number AS big FROM numbers(1000)',
      format: 'arrow',
    });
    expect(response.statusCode).toBe(200);
    const table = tableFromIPC(response.rawPayload);
    expect(table.numRows).toBe(1000);
    expect(table.get(999)?.toJSON()).toEqual({ n: 999n, big: 9007199254741992n });
    const second = flechetteFromIPC(response.rawPayload, { useBigInt: true });
    expect(second.numRows).toBe(1000);
    expect(second.getChild('big')?.at(0)).toBe(9007199254740993n);
  });

  it('Arrow: a result larger than one record batch arrives as several, in order', async () => {
    const lines = await chdb.store.readonlyStream(
      'SELECT number AS n FROM numbers(1000)',
      {},
      { maxExecutionTimeS: 5, maxResultRows: 1000 },
      { format: 'JSONCompactEachRowWithNamesAndTypes', outputSettings: ARROW_SOURCE_SETTINGS },
    );
    const chunks: Buffer[] = [];
    for await (const chunk of toArrowStream(lines, 300)) chunks.push(Buffer.from(chunk));
    const table = tableFromIPC(Buffer.concat(chunks));
    expect(table.batches.map((b) => b.numRows)).toEqual([300, 300, 300, 100]);
    expect(table.getChild('n')?.toArray()).toEqual(
      BigUint64Array.from({ length: 1000 }, (_, i) => BigInt(i)),
    );
  });

  it('Arrow: an empty result still carries its schema', async () => {
    const response = await sql({
      query: `${STARTUPS.replace('{videoId:String}', "'nobody'")}`,
      format: 'arrow',
    });
    expect(response.statusCode).toBe(200);
    const table = tableFromIPC(response.rawPayload);
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['view_id', 'startup_time_ms', 'received_at']);
  });
});

describe('POST /api/v1/sql refuses', () => {
  const refused = [
    {
      what: 'INSERT',
      query: "INSERT INTO beacons_v1 (beacon_id) VALUES ('x')",
      reason: 'statement_not_allowed',
    },
    { what: 'ALTER', query: 'ALTER TABLE beacons_v1 DELETE WHERE 1', reason: 'statement_not_allowed' },
    { what: 'DROP', query: 'DROP TABLE beacons_v1', reason: 'statement_not_allowed' },
    { what: 'SET readonly = 0', query: 'SET readonly = 0', reason: 'statement_not_allowed' },
    {
      what: 'SETTINGS readonly = 0',
      query: 'SELECT 1 SETTINGS readonly = 0',
      reason: 'settings_not_allowed',
    },
    {
      what: 'raising a limit',
      query: 'SELECT count() FROM beacons_v1 SETTINGS max_execution_time = 1000',
      reason: 'settings_not_allowed',
    },
    {
      what: 'SETTINGS in a subquery',
      query: 'SELECT * FROM (SELECT 1 SETTINGS max_result_rows = 0)',
      reason: 'settings_not_allowed',
    },
    {
      what: 'file()',
      query: "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      reason: 'function_not_allowed',
    },
    { what: 'file() as a scalar', query: "SELECT file('/etc/passwd') AS f", reason: 'function_not_allowed' },
    {
      what: 'url()',
      query: "SELECT * FROM url('http://127.0.0.1:1/x', CSV, 'a String')",
      reason: 'function_not_allowed',
    },
    { what: 's3()', query: "SELECT * FROM s3('http://127.0.0.1:1/b/k.csv')", reason: 'function_not_allowed' },
    {
      what: 'remote()',
      query: "SELECT * FROM remote('127.0.0.1', system.one)",
      reason: 'function_not_allowed',
    },
    {
      what: 'executable()',
      query: "SELECT * FROM executable('id', TSV, 'x String')",
      reason: 'function_not_allowed',
    },
    {
      what: 'file() in a subquery of a JOIN',
      query:
        "SELECT 1 FROM beacons_v1 AS b JOIN (SELECT * FROM file('/etc/hosts', 'LineAsString')) AS f ON 1",
      reason: 'function_not_allowed',
    },
    {
      what: 'an unlisted table function',
      query: 'SELECT * FROM generateRandom() LIMIT 1',
      reason: 'table_function_not_allowed',
    },
    { what: 'system.processes', query: 'SELECT * FROM system.processes', reason: 'table_not_allowed' },
    {
      what: 'system.users in a subquery',
      query: 'SELECT 1 WHERE 1 IN (SELECT 1 FROM system.users)',
      reason: 'table_not_allowed',
    },
    { what: 'another database', query: 'SELECT * FROM default.secrets', reason: 'table_not_allowed' },
    {
      what: 'INTO OUTFILE',
      query: "SELECT 1 INTO OUTFILE '/tmp/streamloop-sql-outfile'",
      reason: 'clause_not_allowed',
    },
    { what: 'FORMAT', query: 'SELECT 1 FORMAT TSV', reason: 'clause_not_allowed' },
  ];
  it.each(refused)('$what with 403 ERR_SQL_REFUSED and the reason', async ({ query, reason }) => {
    const response = await sql({ query, format: 'json' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: { code: 'ERR_SQL_REFUSED', details: { reason } } });
    expect(response.json().error.message).toMatch(/^refused: /);
  });

  it('two statements in one request, as a syntax error naming multi-statements', async () => {
    const response = await sql({ query: 'SELECT 1; DROP TABLE beacons_v1', format: 'json' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'ERR_VALIDATION',
      details: { reason: 'invalid_query' },
    });
    expect(response.json().error.message).toContain('Multi-statements are not allowed');
  });

  it('and none of the above changed the data', async () => {
    expect(await storedRows(chdb.store, VIDEO)).toBeGreaterThan(0);
    const response = await sql({ query: 'SELECT count() AS n FROM beacons_v1', format: 'json' });
    expect(response.json()).toEqual([{ n: String(await storedRows(chdb.store, VIDEO)) }]);
  });

  it('allowed system tables and table functions to explore the schema', async () => {
    const response = await sql({
      query:
        "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'beacons_v1' AND name = 'beacon_id'",
      format: 'json',
    });
    expect(response.json()).toEqual([{ name: 'beacon_id' }]);
    expect((await sql({ query: 'SELECT sum(number) AS s FROM numbers(10)', format: 'json' })).json()).toEqual(
      [{ s: '45' }],
    );
  });
});

describe('POST /api/v1/sql limits', () => {
  it('kills a query past max_execution_time with 400 and the limit named', async () => {
    const response = await sql({
      query:
        'SELECT count() FROM numbers(1000) AS a, numbers(1000) AS b, numbers(1000) AS c WHERE sipHash64(a.number, b.number, c.number) = 0',
      format: 'json',
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({
      code: 'ERR_SQL_LIMIT_EXCEEDED',
      details: { reason: 'limit_exceeded', limit: 'max_execution_time' },
    });
  });

  it('refuses a result above max_result_rows', async () => {
    const response = await sql({ query: 'SELECT number FROM numbers(5000)', format: 'csv' });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.details).toMatchObject({ limit: 'max_result_rows' });
  });

  it('answers a syntax error with 400 and the engine position', async () => {
    const response = await sql({ query: 'SELEC 1', format: 'json' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('Syntax error');
  });

  it('rejects an unknown format and an empty query before touching the store', async () => {
    expect((await sql({ query: 'SELECT 1', format: 'parquet' })).json().error.code).toBe('ERR_VALIDATION');
    expect((await sql({ query: '', format: 'json' })).json().error.code).toBe('ERR_VALIDATION');
  });
});

describe('POST /api/v1/sql auth', () => {
  it('needs the API key', async () => {
    expect((await sql({ query: 'SELECT 1' }, {})).statusCode).toBe(401);
    expect((await sql({ query: 'SELECT 1' }, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
  });
});

// Last: its rows would change the row count the refusal tests above check.
describe('POST /api/v1/sql and simulated viewers (migration 007)', () => {
  it('shows the synthetic marking, cohort and network class in beacons_v1, views_v1 and both rollups', async () => {
    const videoId = 'video-sql-synthetic';
    await chdb.store.client.insert({
      table: `${chdb.store.database}.${BEACONS_TABLE}`,
      values: [
        {
          beacon_id: 'sim-1',
          event: 'viewstart',
          video_id: videoId,
          view_id: 'sim',
          received_at: toDateTime64Text(RECEIVED_AT_MS),
          synthetic: true,
          cohort: 'commuters',
          network_class: '3g',
        },
        {
          beacon_id: 'real-1',
          event: 'viewstart',
          video_id: videoId,
          view_id: 'real',
          received_at: toDateTime64Text(RECEIVED_AT_MS),
        },
      ],
      format: 'JSONEachRow',
    });
    const views = await sql({
      query: `SELECT view_id, max(synthetic) AS synthetic, any(cohort) AS cohort, any(network_class) AS network_class
        FROM views_v1 WHERE video_id = {videoId:String} GROUP BY view_id ORDER BY view_id`,
      format: 'json',
      params: { videoId },
    });
    expect(views.statusCode, views.body).toBe(200);
    expect(views.json()).toEqual([
      { view_id: 'real', synthetic: 0, cohort: null, network_class: null },
      { view_id: 'sim', synthetic: 1, cohort: 'commuters', network_class: '3g' },
    ]);
    const columns = await sql({
      query: `SELECT table, groupArray(name) AS columns FROM (
          SELECT table, name FROM system.columns
          WHERE database = currentDatabase() AND name IN ('synthetic', 'cohort', 'network_class')
          ORDER BY table, name)
        GROUP BY table ORDER BY table`,
      format: 'json',
    });
    expect(columns.statusCode, columns.body).toBe(200);
    expect(columns.json()).toEqual([
      ...['beacons_v1'].map((table) => ({ table, columns: ['cohort', 'network_class', 'synthetic'] })),
      // Exposures carry the mark only (migration 009): delivery knows no cohort or network class.
      { table: 'experiment_exposures_v1', columns: ['synthetic'] },
      // Per viewer and arm (migration 010): the experiments' statistics split by scope only.
      { table: 'experiment_viewer_minute_v1', columns: ['synthetic'] },
      ...['qoe_minute_v1', 'qoe_rendition_minute_v1', 'views_v1', 'views_v1_mv'].map((table) => ({
        table,
        columns: ['cohort', 'network_class', 'synthetic'],
      })),
    ]);
  });
});
