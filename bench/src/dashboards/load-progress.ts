/**
 * Progress of long store work (a 10 M-beacon insert takes ~10 minutes): every `everyMs`, the time
 * so far and the rows the running statement has read and written (system.processes). A query with
 * settings runs on a chdb session of its own (settings-scoped-chdb-connection.ts); without one it
 * would queue behind the very statement it reports on.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';

interface RunningRow {
  elapsed: number;
  read_rows: string;
  total_rows_approx: string;
  written_rows: string;
}

const millions = (rows: string): string => `${(Number(rows) / 1e6).toFixed(2)} M`;

async function runningStatements(store: AnalyticsStore): Promise<string> {
  const result = await store.client.query({
    query: `
      SELECT elapsed, read_rows, total_rows_approx, written_rows
      FROM system.processes
      WHERE query NOT ILIKE '%system.processes%'`,
    format: 'JSONEachRow',
    clickhouse_settings: { max_threads: 1 },
  });
  const rows = await result.json<RunningRow>();
  return rows
    .map(
      (r) =>
        `statement ${Math.round(r.elapsed)} s: read ${millions(r.read_rows)}${Number(r.total_rows_approx) > 0 ? ` of ${millions(r.total_rows_approx)}` : ''}, written ${millions(r.written_rows)}`,
    )
    .join('; ');
}

export async function withProgress<T>(
  store: AnalyticsStore,
  label: string,
  work: () => Promise<T>,
  everyMs = 15_000,
): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  console.log(`${label}…`);
  let polling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    const seconds = Math.round((performance.now() - started) / 1000);
    polling = runningStatements(store)
      .catch((err: unknown) => `(no progress: ${err instanceof Error ? err.message : String(err)})`)
      .then((running) => console.log(`  ${label}: ${seconds} s${running ? `, ${running}` : ''}`));
  }, everyMs);
  try {
    const value = await work();
    const ms = performance.now() - started;
    console.log(`${label}: done in ${(ms / 1000).toFixed(1)} s`);
    return { ms, value };
  } finally {
    clearInterval(timer);
    // A poll still running must not outlive the work: the store may close next.
    await polling;
  }
}
