/**
 * Runs a scheduled job once per period across every replica that schedules it.
 *
 * Two guards, both in PostgreSQL: a session advisory lock per job, held on a connection of its own
 * for the whole run, keeps a slow run of one replica from overlapping the next period's run on
 * another (node-cron's `noOverlap` only sees its own process); a `job_runs` row per (job, period),
 * inserted under that lock, makes a replica whose tick came after the winner finished skip the
 * period instead of running it again. A run that crashes is not retried in its period: the jobs are
 * idempotent and the next period redoes the work.
 *
 * Embedded (PGlite): one process owns the catalog (dir-lock.ts), so the period row alone suffices.
 */
import { hostname } from 'node:os';
import type { Logger } from '@streamloop/core/logger';
import pg from 'pg';
import type { Catalog, Queryable } from './catalog.js';

export type JobRunOutcome<T> =
  | { ran: true; result: T }
  | { ran: false; reason: 'running-elsewhere' | 'period-done' };

export interface JobLock {
  /** Runs `work` for `periodStart` (the scheduled slot, the same on every replica) unless another runner has it. */
  runOnce<T>(job: string, periodStart: Date, work: () => Promise<T>): Promise<JobRunOutcome<T>>;
  close(): Promise<void>;
}

export interface JobLockDeps {
  catalog: Catalog;
  /** Set (services mode): advisory locks on a dedicated connection to this server. */
  databaseUrl?: string | undefined;
  logger: Pick<Logger, 'warn'>;
}

/** First key of the two-int advisory lock: streamloop's job locks, apart from anything else's. */
const JOB_LOCK_SPACE = 0x5713;
const KEEP_RUNS_DAYS = 30;

export function createJobLock(deps: JobLockDeps): JobLock {
  const runner = `${hostname()}:${process.pid}`;
  const session = deps.databaseUrl === undefined ? undefined : createSession(deps.databaseUrl, deps.logger);

  const claimPeriod = async (db: Queryable, job: string, periodStart: Date): Promise<boolean> => {
    await db.query(
      `DELETE FROM job_runs WHERE job = $1 AND period_start < $2::timestamptz - make_interval(days => ${KEEP_RUNS_DAYS})`,
      [job, periodStart.toISOString()],
    );
    const rows = await db.query(
      `INSERT INTO job_runs (job, period_start, runner) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING job`,
      [job, periodStart.toISOString(), runner],
    );
    return rows.length > 0;
  };
  const finish = (db: Queryable, job: string, periodStart: Date) =>
    db.query('UPDATE job_runs SET finished_at = now() WHERE job = $1 AND period_start = $2', [
      job,
      periodStart.toISOString(),
    ]);

  return {
    async runOnce(job, periodStart, work) {
      if (session === undefined) {
        if (!(await claimPeriod(deps.catalog, job, periodStart)))
          return { ran: false, reason: 'period-done' };
        const result = await work();
        await finish(deps.catalog, job, periodStart);
        return { ran: true, result };
      }
      const client = await session.connect();
      const [lock] = (
        await client
          .query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
            JOB_LOCK_SPACE,
            job,
          ])
          .catch(async (err: unknown) => {
            // A connection that died quietly: the next run opens a new one.
            await session.close().catch(() => undefined);
            throw err;
          })
      ).rows;
      if (!lock?.locked) return { ran: false, reason: 'running-elsewhere' };
      const db: Queryable = { query: async (sql, params) => (await client.query(sql, params)).rows };
      try {
        if (!(await claimPeriod(db, job, periodStart))) return { ran: false, reason: 'period-done' };
        const result = await work();
        await finish(db, job, periodStart);
        return { ran: true, result };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [JOB_LOCK_SPACE, job]).catch(() => {
          // The connection is gone, and with it the lock: the server releases session locks itself.
        });
      }
    },
    close: () => session?.close() ?? Promise.resolve(),
  };
}

/** One connection, opened on first use and again after it broke (its locks went with it). */
function createSession(url: string, logger: Pick<Logger, 'warn'>) {
  let client: Promise<pg.Client> | undefined;
  return {
    connect(): Promise<pg.Client> {
      client ??= (async () => {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
        c.on('error', (err) => {
          logger.warn({ err: err.message }, 'job-lock connection failed; reconnecting on the next run');
          client = undefined;
        });
        try {
          await c.connect();
        } catch (err) {
          client = undefined;
          throw err;
        }
        return c;
      })();
      return client;
    },
    async close(): Promise<void> {
      const open = client;
      client = undefined;
      await (await open?.catch(() => undefined))?.end();
    },
  };
}
