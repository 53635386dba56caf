/** A PostgreSQL database of its own for one test file, on the shared server; dropped afterwards. */
import { assertReachable, uniqueName } from '@streamloop/core/testing';
import pg from 'pg';

export async function createScratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await assertReachable('PostgreSQL', `${admin.hostname}:${admin.port || '5432'}`, () => client.connect());
  const name = uniqueName('streamloop_transcode').toLowerCase();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
    },
  };
}
