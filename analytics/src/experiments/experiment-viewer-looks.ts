/**
 * Each viewer's CUMULATIVE numbers at every look, from their numbers per step
 * (experiment-viewers-query.ts): look k holds the views of steps 0..k. A viewer's totals are a new
 * object only at a look where they had views; at the others the previous one is shared, so the work
 * and memory grow with the rows (≈ views), not viewers × looks. The QoE score, the viewer's median
 * startup and each metric's per-viewer pair are worked out once per such object
 * (experiment-metrics.ts), not at every look that reads it.
 */
import { type ExperimentViewer, viewerPairs } from './experiment-metrics.js';
import { type ExperimentViewerStepRow, SUMMED_COLUMNS } from './experiment-viewers-query.js';

export interface ViewerLooks {
  /** The viewers of an arm at a look (each once, with their numbers up to that look). */
  at(look: number, arm: string): readonly ExperimentViewer[];
  /** Every arm name seen by a look, including names the experiment does not have. */
  armsAt(look: number): string[];
}

/** Rows in step order (as the query returns them); a step past the last look counts in the last. */
export function viewerLooks(rows: readonly ExperimentViewerStepRow[], looks: number): ViewerLooks {
  const current = new Map<string, { index: Map<string, number>; viewers: ExperimentViewer[] }>();
  const snapshots: Map<string, readonly ExperimentViewer[]>[] = [];
  let next = 0;
  for (let look = 0; look < looks; look++) {
    for (; next < rows.length; next++) {
      const row = rows[next] as ExperimentViewerStepRow;
      if (Number(row.step) > look && look < looks - 1) break;
      let arm = current.get(row.arm);
      if (arm === undefined) {
        arm = { index: new Map(), viewers: [] };
        current.set(row.arm, arm);
      }
      const at = arm.index.get(row.viewer_id);
      if (at === undefined) {
        arm.index.set(row.viewer_id, arm.viewers.length);
        arm.viewers.push(withDerived(added(undefined, row)));
      } else {
        arm.viewers[at] = withDerived(added(arm.viewers[at], row));
      }
    }
    snapshots.push(new Map([...current].map(([name, arm]) => [name, arm.viewers.slice()])));
  }
  return {
    at: (look, arm) => snapshots[look]?.get(arm) ?? [],
    armsAt: (look) => [...(snapshots[look]?.keys() ?? [])],
  };
}

type Totals = Omit<ExperimentViewer, 'startup_p50_ms' | 'pairs'>;

function added(previous: ExperimentViewer | undefined, row: ExperimentViewerStepRow): Totals {
  const totals: Totals = {
    viewer_id: row.viewer_id,
    synthetic_views: (previous?.synthetic_views ?? 0) + Number(row.synthetic_views),
    startup_times_ms:
      previous === undefined ? row.startup_times_ms : [...previous.startup_times_ms, ...row.startup_times_ms],
  } as Totals;
  for (const column of SUMMED_COLUMNS) totals[column] = (previous?.[column] ?? 0) + Number(row[column]);
  return totals;
}

function withDerived(totals: Totals): ExperimentViewer {
  const viewer = { ...totals, startup_p50_ms: medianInclusive(totals.startup_times_ms) } as ExperimentViewer;
  viewer.pairs = viewerPairs(viewer);
  return viewer;
}

/** ClickHouse's quantileExactInclusive(0.5): linear between the two middle values; null for none. */
function medianInclusive(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * 0.5;
  const low = Math.floor(h);
  const a = sorted[low] as number;
  const b = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return a + (h - low) * (b - a);
}
