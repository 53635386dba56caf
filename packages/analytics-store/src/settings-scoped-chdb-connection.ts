import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/** The connection contract as @clickhouse/client sees it (it does not export the type by name). */
export type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;
type Params<M extends keyof ClientConnection> = Parameters<ClientConnection[M]>[0];
type Result<M extends keyof ClientConnection> = ReturnType<ClientConnection[M]>;

/**
 * chdb 3.4.0 types its connection against @clickhouse/client-common 1.23.0 while the client 1.23.1
 * bundles its own copy of those declarations; TypeScript treats the two copies as distinct types
 * although they are identical. One cast, here.
 */
function openChdbSession(path: string): ClientConnection {
  return createChdbConnection({ path }) as unknown as ClientConnection;
}

/**
 * chdb/connection applies per-call `clickhouse_settings` as `SET` statements on its one session,
 * so they outlive the call: after a `readonly: '1'` query every later write failed, and after an
 * insert with `insert_deduplication_token` every later insert reused the token and was silently
 * dropped as a duplicate (both reproduced with chdb 3.4.0). Over HTTP the same settings apply to one
 * query only. This wrapper restores that: a call with settings runs on its own short-lived session
 * on the same data directory (chdb allows several sessions on one path, ~4 ms each) and the
 * long-lived session never sees a SET.
 */
export interface ChdbSessionOptions {
  path: string;
  /** Created if missing and made current, so unqualified table names resolve in it on every session. */
  database: string;
  /** Applied to every session before anything else (what a server would take from its profile). */
  sessionSettings: Readonly<Record<string, number>>;
}

export class SettingsScopedChdbConnection implements ClientConnection {
  readonly #options: ChdbSessionOptions;
  readonly #main: ClientConnection;

  private constructor(options: ChdbSessionOptions, main: ClientConnection) {
    this.#options = options;
    this.#main = main;
  }

  static async open(options: ChdbSessionOptions): Promise<SettingsScopedChdbConnection> {
    const main = openChdbSession(options.path);
    try {
      await main.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
      const connection = new SettingsScopedChdbConnection(options, main);
      await connection.#prepare(main);
      return connection;
    } catch (err) {
      await main.close();
      throw err;
    }
  }

  query(params: Params<'query'>): Result<'query'> {
    return this.#on(params.clickhouse_settings, (c) => c.query(params));
  }

  exec(params: Params<'exec'>): Result<'exec'> {
    return this.#on(params.clickhouse_settings, (c) => c.exec(params));
  }

  command(params: Params<'command'>): Result<'command'> {
    return this.#on(params.clickhouse_settings, (c) => c.command(params));
  }

  insert(params: Params<'insert'>): Result<'insert'> {
    return this.#on(params.clickhouse_settings, (c) => c.insert(params));
  }

  ping(params: Params<'ping'>): Result<'ping'> {
    return this.#main.ping(params);
  }

  close(): Promise<void> {
    return this.#main.close();
  }

  async #on<T>(settings: object | undefined, run: (c: ClientConnection) => Promise<T>): Promise<T> {
    if (!Object.values(settings ?? {}).some((v) => v !== undefined)) return run(this.#main);
    const scoped = openChdbSession(this.#options.path);
    try {
      await this.#prepare(scoped);
      // Results are fully buffered by chdb, so closing right after is safe.
      return await run(scoped);
    } finally {
      await scoped.close();
    }
  }

  async #prepare(session: ClientConnection): Promise<void> {
    for (const [name, value] of Object.entries(this.#options.sessionSettings)) {
      await session.command({ query: `SET ${name} = ${Number(value)}` });
    }
    await session.command({ query: `USE ${this.#options.database}` });
  }
}
