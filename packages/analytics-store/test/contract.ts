import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsStore, ReadonlyLimits } from '../src/analytics-store.js';
import { encodeNativeBlock } from '../src/native-block.js';

export interface StoreUnderTest {
  store: AnalyticsStore;
  teardown(): Promise<void>;
}

const FIXTURE_MIGRATIONS = new URL('./fixtures/migrations/', import.meta.url);
const LIMITS: ReadonlyLimits = { maxExecutionTimeS: 10, maxResultRows: 1000 };

export function describeAnalyticsStoreContract(label: string, open: () => Promise<StoreUnderTest>): void {
  describe(label, () => {
    let under: StoreUnderTest;
    let store: AnalyticsStore;
    let db: string;

    beforeAll(async () => {
      under = await open();
      store = under.store;
      db = store.database;
    });
    afterAll(async () => {
      await under?.teardown();
    });

    /** A fresh table in the store's database; `{t}` in the DDL is its qualified name. */
    const createTable = async (ddl: string): Promise<string> => {
      const table = `${db}.${uniqueName('t')}`;
      await store.client.command({ query: ddl.replaceAll('{t}', table) });
      return table;
    };
    const rows = async <R>(query: string, query_params?: Record<string, unknown>): Promise<R[]> =>
      (await store.client.query({ query, query_params, format: 'JSONEachRow' })).json<R>();
    const count = async (table: string): Promise<number> =>
      Number((await rows<{ n: string }>(`SELECT count() AS n FROM ${table}`))[0]!.n);

    describe('migrations', () => {
      it('applies numbered files in order once, in the store database, and nothing on a second run', async () => {
        expect(await store.migrate(FIXTURE_MIGRATIONS)).toEqual(['001_events', '002_event_kind']);
        expect(await store.migrate(FIXTURE_MIGRATIONS)).toEqual([]);
        const tables = await rows<{ name: string }>(
          'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
          { db },
        );
        expect(tables.map((t) => t.name)).toEqual(['event_totals_v1', 'events_v1', 'schema_migrations']);
        const columns = await rows<{ name: string }>(
          "SELECT name FROM system.columns WHERE database = {db:String} AND table = 'events_v1' ORDER BY position",
          { db },
        );
        expect(columns.map((c) => c.name)).toEqual(['session_id', 'ts', 'kind']);
      });
    });

    describe('insert and query', () => {
      it('round-trips JSONEachRow rows through {name:Type} parameters', async () => {
        const table = await createTable(`CREATE TABLE {t} (
            session_id String,
            video_id LowCardinality(String),
            ts DateTime64(3, 'UTC'),
            bitrate_kbps UInt32,
            bytes_transferred UInt64,
            rebuffer_ratio Float64,
            cdn Nullable(String),
            tags Array(String)
          ) ENGINE = MergeTree ORDER BY (video_id, ts)`);
        const tricky = "it's a \\ 'quoted' {name:String} value";
        const beacons = [
          {
            session_id: 's1',
            video_id: tricky,
            ts: '2025-03-01 10:00:00.125',
            bitrate_kbps: 4500,
            bytes_transferred: '18446744073709551615',
            rebuffer_ratio: 0.015,
            cdn: null,
            tags: ['a', 'ü'],
          },
          {
            session_id: 's2',
            video_id: tricky,
            ts: '2025-03-01 10:00:01.500',
            bitrate_kbps: 800,
            bytes_transferred: '42',
            rebuffer_ratio: 0,
            cdn: 'edge-1',
            tags: [],
          },
          {
            session_id: 's3',
            video_id: 'other',
            ts: '2025-03-01 10:00:02.000',
            bitrate_kbps: 1,
            bytes_transferred: '1',
            rebuffer_ratio: 1,
            cdn: null,
            tags: [],
          },
        ];
        await store.client.insert({ table, values: beacons, format: 'JSONEachRow' });

        const found = await rows<Record<string, unknown>>(
          `SELECT * FROM ${table} WHERE video_id = {videoId:String} AND ts >= {since:DateTime64(3)} ORDER BY ts`,
          { videoId: tricky, since: '2025-03-01 10:00:00.000' },
        );
        // 64-bit integers come back as strings on both adapters (JSON cannot hold them exactly).
        expect(found).toEqual(beacons.slice(0, 2));
      });
    });

    describe('deduplication', () => {
      it('lands a retried insert once when it carries the same insert_deduplication_token', async () => {
        const table = await createTable(
          'CREATE TABLE {t} (id UInt32, note String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100',
        );
        const insert = (values: { id: number; note: string }[], token?: string) =>
          store.client.insert({
            table,
            values,
            format: 'JSONEachRow',
            ...(token === undefined ? {} : { clickhouse_settings: { insert_deduplication_token: token } }),
          });
        const batch = [
          { id: 1, note: 'first' },
          { id: 2, note: 'second' },
        ];
        await insert(batch, 'batch-1');
        await insert(batch, 'batch-1');
        expect(await count(table)).toBe(2);
        await insert(batch, 'batch-2');
        expect(await count(table)).toBe(4);
        // The token belongs to one insert: later inserts without one must not inherit it.
        await insert([{ id: 3, note: 'no token' }]);
        await insert([{ id: 4, note: 'no token either' }]);
        expect(await count(table)).toBe(6);
      });

      it.each([
        { mvDedup: 1 as const, targetWindow: 100, counted: 2 },
        { mvDedup: 0 as const, targetWindow: 100, counted: 4 },
        { mvDedup: 1 as const, targetWindow: 0, counted: 4 },
      ])(
        'a retried insert reaches a materialized view once only with deduplicate_blocks_in_dependent_materialized_views = 1 and a window on the target (mvDedup $mvDedup, window $targetWindow → $counted)',
        async ({ mvDedup, targetWindow, counted }) => {
          const source = await createTable(
            'CREATE TABLE {t} (k String) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100',
          );
          const target = await createTable(
            `CREATE TABLE {t} (k String, n UInt64) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = ${targetWindow}`,
          );
          await store.client.command({
            query: `CREATE MATERIALIZED VIEW ${target}_mv TO ${target} AS SELECT k, count() AS n FROM ${source} GROUP BY k`,
          });
          for (let attempt = 0; attempt < 2; attempt++) {
            await store.client.insert({
              table: source,
              values: [{ k: 'a' }, { k: 'b' }],
              format: 'JSONEachRow',
              clickhouse_settings: {
                insert_deduplication_token: 'retried-batch',
                deduplicate_blocks_in_dependent_materialized_views: mvDedup,
              },
            });
          }
          expect(await count(source)).toBe(2);
          expect(Number((await rows<{ n: string }>(`SELECT sum(n) AS n FROM ${target}`))[0]!.n)).toBe(
            counted,
          );
        },
      );

      it('keeps the latest version per key with ReplacingMergeTree and FINAL', async () => {
        const table = await createTable(
          'CREATE TABLE {t} (key String, version UInt64, value String) ENGINE = ReplacingMergeTree(version) ORDER BY key',
        );
        await store.client.insert({
          table,
          values: [{ key: 'a', version: 1, value: 'old' }],
          format: 'JSONEachRow',
        });
        await store.client.insert({
          table,
          values: [
            { key: 'a', version: 2, value: 'new' },
            { key: 'b', version: 1, value: 'only' },
          ],
          format: 'JSONEachRow',
        });
        expect(await rows(`SELECT key, value FROM ${table} FINAL ORDER BY key`)).toEqual([
          { key: 'a', value: 'new' },
          { key: 'b', value: 'only' },
        ]);
      });
    });

    describe('insertNative', () => {
      const TYPES = [
        'id UInt16',
        'name String',
        'kind LowCardinality(String)',
        'note Nullable(String)',
        'label LowCardinality(Nullable(String))',
        'count Nullable(UInt32)',
        'big UInt64',
        'offset Nullable(Int64)',
        'ratio Float64',
        'flag Nullable(Bool)',
        "at DateTime64(3, 'UTC')",
      ];
      const columns = TYPES.map((t) => {
        const [name, ...type] = t.split(' ');
        return { name: name!, type: type.join(' ') };
      });
      const LONG = `${'ü'.repeat(50)}…${'x'.repeat(200)}`;
      const dedup = (token: string) => ({
        insert_deduplicate: 1,
        insert_deduplication_token: token,
      });

      it('stores every value of a Native block exactly as given (read back as the engine prints it)', async () => {
        const table = await createTable(
          `CREATE TABLE {t} (${TYPES.join(', ')}) ENGINE = MergeTree ORDER BY id`,
        );
        // Every column set, in the text form the engine prints back (Int64 aside: quoted in JSON).
        const first = {
          id: 1,
          name: 'plain',
          kind: 'heartbeat',
          note: null,
          label: 'a',
          count: 4_294_967_295,
          big: '18446744073709551615',
          offset: -5,
          ratio: 2.625,
          flag: true,
          at: '2026-01-02 03:04:05.678',
        };
        const block = encodeNativeBlock(columns, [
          first,
          {
            id: 2,
            name: LONG,
            kind: 'viewend',
            label: null,
            count: 0,
            big: 9_007_199_254_740_991,
            offset: -9_007_199_254_740_991,
            ratio: -0.1,
            flag: false,
            at: Date.UTC(1999, 11, 31, 23, 59, 59, 1),
          },
          { id: 3, name: '', kind: 'é', big: 0, ratio: 0, at: 0 },
        ]);
        await store.insertNative(table, block, {});
        expect(await rows(`SELECT * FROM ${table} ORDER BY id`)).toEqual([
          { ...first, offset: '-5' },
          {
            id: 2,
            name: LONG,
            kind: 'viewend',
            note: null,
            label: null,
            count: 0,
            big: '9007199254740991',
            offset: '-9007199254740991',
            ratio: -0.1,
            flag: false,
            at: '1999-12-31 23:59:59.001',
          },
          {
            id: 3,
            name: '',
            kind: 'é',
            note: null,
            label: null,
            count: null,
            big: '0',
            offset: null,
            ratio: 0,
            flag: null,
            at: '1970-01-01 00:00:00.000',
          },
        ]);
      });

      it('writes only the columns of the block; the table fills in the rest', async () => {
        const table = await createTable(
          "CREATE TABLE {t} (id UInt16, source LowCardinality(String) DEFAULT 'sdk', note Nullable(String)) ENGINE = MergeTree ORDER BY id",
        );
        await store.insertNative(table, encodeNativeBlock([{ name: 'id', type: 'UInt16' }], [{ id: 7 }]), {});
        expect(await rows(`SELECT * FROM ${table}`)).toEqual([{ id: 7, source: 'sdk', note: null }]);
      });

      it('keeps one copy of a block inserted twice under the same dedup token', async () => {
        const table = await createTable(
          'CREATE TABLE {t} (id UInt16, name String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100',
        );
        const block = encodeNativeBlock(columns.slice(0, 2), [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ]);
        await store.insertNative(table, block, dedup('batch-1'));
        await store.insertNative(table, block, dedup('batch-1'));
        expect(await count(table)).toBe(2);
        await store.insertNative(table, block, dedup('batch-2'));
        expect(await count(table)).toBe(4);
      });

      it('refuses a type it has no writer for, and a value its column cannot hold', () => {
        expect(() => encodeNativeBlock([{ name: 'd', type: 'Decimal(9, 2)' }], [])).toThrow(
          'column d: no Native writer for type Decimal(9, 2)',
        );
        const one = (type: string, value: unknown) => () =>
          encodeNativeBlock([{ name: 'v', type }], [{ v: value }]);
        expect(one('UInt16', 65_536)).toThrow('column v (UInt16): 65536 is not a UInt16');
        expect(one('UInt32', 1.5)).toThrow('is not a UInt32');
        expect(one('UInt64', -1)).toThrow('is not a UInt64');
        expect(one('UInt64', '18446744073709551616')).toThrow('is not a UInt64');
        expect(one('Int64', 2 ** 53)).toThrow('is not a safe integer');
        expect(one('String', 5)).toThrow('is not a string');
        expect(one('String', null)).toThrow('is missing in a column that is not Nullable');
        expect(one("DateTime64(3, 'UTC')", '2026-01-02T03:04:05Z')).toThrow('is neither epoch milliseconds');
      });
    });

    describe('readonlyQuery', () => {
      let table: string;
      beforeAll(async () => {
        table = await createTable('CREATE TABLE {t} (x UInt32) ENGINE = MergeTree ORDER BY x');
        await store.client.insert({ table, values: [{ x: 1 }, { x: 2 }], format: 'JSONEachRow' });
      });

      it('answers SELECTs with bound parameters', async () => {
        expect(
          await store.readonlyQuery(
            `SELECT x FROM ${table} WHERE x > {min:UInt32} ORDER BY x`,
            { min: 1 },
            LIMITS,
          ),
        ).toEqual([{ x: 2 }]);
      });

      it('resolves unqualified table names in the store database', async () => {
        const name = table.slice(db.length + 1);
        expect(await store.readonlyQuery('SELECT currentDatabase() AS db', {}, LIMITS)).toEqual([{ db }]);
        expect(await store.readonlyQuery(`SELECT count() AS n FROM ${name}`, {}, LIMITS)).toEqual([
          { n: '2' },
        ]);
      });

      const refused = [
        { what: 'INSERT', sql: (t: string) => `INSERT INTO ${t} VALUES (99)` },
        { what: 'CREATE', sql: (t: string) => `CREATE TABLE ${t}_copy (x UInt32) ENGINE = Memory` },
        { what: 'DROP', sql: (t: string) => `DROP TABLE ${t}` },
        { what: 'file()', sql: () => "SELECT * FROM file('/etc/passwd', 'LineAsString')" },
        { what: 'SETTINGS readonly=0', sql: (t: string) => `SELECT count() FROM ${t} SETTINGS readonly = 0` },
      ];
      it.each(refused)('refuses $what with a readonly error', async ({ sql }) => {
        await expect(store.readonlyQuery(sql(table), {}, LIMITS)).rejects.toMatchObject({ type: 'READONLY' });
      });

      it('changed nothing, and leaves the store writable afterwards', async () => {
        expect(await count(table)).toBe(2);
        expect(
          await rows('SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE {p:String}', {
            db,
            p: `${table.slice(db.length + 1)}_copy`,
          }),
        ).toEqual([]);
        await store.client.insert({ table, values: [{ x: 3 }], format: 'JSONEachRow' });
        expect(await count(table)).toBe(3);
      });

      it('stops a runaway query at max_execution_time', async () => {
        await expect(
          store.readonlyQuery(
            'SELECT count() FROM numbers(1000000000000000) WHERE NOT ignore(sipHash64(number))',
            {},
            { maxExecutionTimeS: 1, maxResultRows: 10 },
          ),
        ).rejects.toMatchObject({ type: 'TIMEOUT_EXCEEDED' });
      });

      it('refuses results above max_result_rows and returns them at the limit', async () => {
        await expect(
          store.readonlyQuery(
            'SELECT number FROM numbers(100)',
            {},
            { maxExecutionTimeS: 10, maxResultRows: 10 },
          ),
        ).rejects.toMatchObject({ type: 'TOO_MANY_ROWS_OR_BYTES' });
        expect(
          await store.readonlyQuery(
            'SELECT number FROM numbers(100)',
            {},
            { maxExecutionTimeS: 10, maxResultRows: 100 },
          ),
        ).toHaveLength(100);
      });

      it('refuses limits that would disable the guard', async () => {
        await expect(
          store.readonlyQuery('SELECT 1', {}, { maxExecutionTimeS: 0, maxResultRows: 10 }),
        ).rejects.toThrow(RangeError);
      });
    });

    describe('readonlyStream', () => {
      const collect = async (lines: AsyncIterable<string>): Promise<string[]> => {
        const out: string[] = [];
        for await (const line of lines) out.push(line);
        return out;
      };

      it('streams CSV with a header line and typed compact JSON with names and types first', async () => {
        const sql = 'SELECT number AS n, toString(number) AS s FROM numbers(3)';
        expect(
          await collect(await store.readonlyStream(sql, {}, LIMITS, { format: 'CSVWithNames' })),
        ).toEqual(['"n","s"', '0,"0"', '1,"1"', '2,"2"']);
        const compact = await collect(
          await store.readonlyStream(sql, {}, LIMITS, { format: 'JSONCompactEachRowWithNamesAndTypes' }),
        );
        expect(compact.map((line) => JSON.parse(line))).toEqual([
          ['n', 's'],
          ['UInt64', 'String'],
          ['0', '0'],
          ['1', '1'],
          ['2', '2'],
        ]);
      });

      it('refuses writes with a readonly error before anything is streamed', async () => {
        await expect(
          store.readonlyStream('CREATE TABLE nope (x UInt8) ENGINE = Memory', {}, LIMITS, {
            format: 'JSONEachRow',
          }),
        ).rejects.toMatchObject({ type: 'READONLY' });
      });

      it('stops a query reading more than maxBytesToRead', async () => {
        await expect(
          store
            .readonlyStream(
              'SELECT sum(number) FROM numbers(1000000)',
              {},
              { ...LIMITS, maxBytesToRead: 1000 },
              {
                format: 'JSONEachRow',
              },
            )
            .then(collect),
        ).rejects.toMatchObject({ type: 'TOO_MANY_BYTES' });
      });

      it('stops a query using more than maxMemoryUsageBytes', async () => {
        await expect(
          store
            .readonlyStream(
              'SELECT groupArray(number) FROM numbers(10000000)',
              {},
              { ...LIMITS, maxMemoryUsageBytes: 10_000_000 },
              { format: 'JSONEachRow' },
            )
            .then(collect),
        ).rejects.toMatchObject({ type: 'MEMORY_LIMIT_EXCEEDED' });
      });
    });

    describe('lifecycle', () => {
      it('answers ping and names its adapter', async () => {
        await store.ping();
        expect(store.adapter.port).toBe('analytics-store');
        expect(store.adapter.target).not.toMatch(/:[^/@]*@/);
      });
    });
  });
}
