/**
 * The end-of-run table, per cohort: sessions, startup p50/p95, rebuffer ratio (stalled share of
 * watch time), mean bitrate (play-time weighted) and bits fetched per viewer-hour — headed as
 * simulated, so a pasted table is never taken for real viewers.
 */
export interface SessionRecord {
  cohort: string;
  networkClass: string;
  /** Undefined: the session never started (left before the first frame). */
  startupTimeMs: number | undefined;
  watchTimeMs: number;
  playTimeMs: number;
  rebufferDurationMs: number;
  /** Play-time-weighted bitrate (kbps) of what was on screen. */
  meanBitrateKbps: number | undefined;
  bytesDownloaded: number;
}

export interface CohortSummary {
  cohort: string;
  networkClasses: string[];
  sessions: number;
  started: number;
  startupP50Ms: number | undefined;
  startupP95Ms: number | undefined;
  /** Σ rebuffer / Σ watch time. */
  rebufferRatio: number;
  meanBitrateKbps: number | undefined;
  /** Σ bytes × 8 / Σ watch hours. */
  bitsPerViewerHour: number | undefined;
}

export interface Summary {
  add(record: SessionRecord): void;
  /** In first-seen order. */
  cohorts(): CohortSummary[];
  format(): string;
}

interface Totals {
  classes: Set<string>;
  sessions: number;
  startups: number[];
  watchMs: number;
  playMs: number;
  rebufferMs: number;
  bitrateTimesPlayMs: number;
  bitratePlayMs: number;
  bytes: number;
}

export function createSummary(): Summary {
  const byCohort = new Map<string, Totals>();
  const cohorts = (): CohortSummary[] =>
    [...byCohort].map(([cohort, t]) => {
      const sorted = [...t.startups].sort((a, b) => a - b);
      return {
        cohort,
        networkClasses: [...t.classes],
        sessions: t.sessions,
        started: sorted.length,
        startupP50Ms: percentile(sorted, 0.5),
        startupP95Ms: percentile(sorted, 0.95),
        rebufferRatio: t.watchMs > 0 ? t.rebufferMs / t.watchMs : 0,
        meanBitrateKbps: t.bitratePlayMs > 0 ? t.bitrateTimesPlayMs / t.bitratePlayMs : undefined,
        bitsPerViewerHour: t.watchMs > 0 ? (t.bytes * 8) / (t.watchMs / 3_600_000) : undefined,
      };
    });
  return {
    add(record) {
      let t = byCohort.get(record.cohort);
      if (!t) {
        t = {
          classes: new Set(),
          sessions: 0,
          startups: [],
          watchMs: 0,
          playMs: 0,
          rebufferMs: 0,
          bitrateTimesPlayMs: 0,
          bitratePlayMs: 0,
          bytes: 0,
        };
        byCohort.set(record.cohort, t);
      }
      t.classes.add(record.networkClass);
      t.sessions++;
      if (record.startupTimeMs !== undefined) t.startups.push(record.startupTimeMs);
      t.watchMs += record.watchTimeMs;
      t.playMs += record.playTimeMs;
      t.rebufferMs += record.rebufferDurationMs;
      if (record.meanBitrateKbps !== undefined && record.playTimeMs > 0) {
        t.bitrateTimesPlayMs += record.meanBitrateKbps * record.playTimeMs;
        t.bitratePlayMs += record.playTimeMs;
      }
      t.bytes += record.bytesDownloaded;
    },
    cohorts,
    format() {
      const header = [
        'cohort',
        'network',
        'sessions',
        'startup p50',
        'p95',
        'rebuffer',
        'mean bitrate',
        'per viewer-hour',
      ];
      const rows = cohorts().map((c) => [
        c.cohort,
        c.networkClasses.join(','),
        c.started === c.sessions
          ? String(c.sessions)
          : `${c.sessions} (${c.sessions - c.started} never started)`,
        seconds(c.startupP50Ms),
        seconds(c.startupP95Ms),
        `${(c.rebufferRatio * 100).toFixed(2)} %`,
        c.meanBitrateKbps === undefined
          ? '-'
          : `${Math.round(c.meanBitrateKbps).toLocaleString('en-US')} kbit/s`,
        c.bitsPerViewerHour === undefined ? '-' : `${(c.bitsPerViewerHour / 1e9).toFixed(2)} Gbit`,
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
      const line = (cells: string[]): string =>
        cells
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd();
      return ['SIMULATED (synthetic) viewers — not real audience data', line(header), ...rows.map(line)].join(
        '\n',
      );
    },
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
