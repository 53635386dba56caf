/**
 * What the ladder page's two charts show, for uPlot through charts.ts (`createXyChart`): the
 * rate–quality hull with both ladders' rungs on it, and the audience's throughput with the rungs in
 * rows above and below it. Pure (no DOM): series, marks, axes and the words a screen reader gets.
 * Proposed rungs are red diamonds and current ones hollow squares on both charts; what a point is
 * comes up in the legend while the cursor is on it.
 */
import type { XyChart, XySeries } from './charts.js';
import { formatKbps } from './format.js';
import {
  hullPoints,
  kbpsTick,
  type LadderPlan,
  logDomain,
  logTicks,
  type PlanRung,
  planBitrates,
  qualityAxis,
  resolutionSeries,
  rungLabel,
} from './ladder-view.js';

/** A log-scale bitrate x axis over `domain`, ticked 1-2-5, named `label`. */
const bitrateAxis = (label: string, domain: [number, number]): XyChart['x'] => ({
  key: 'bitrateKbps',
  label,
  cursor: { label: 'Bitrate', format: formatKbps },
  log: true,
  range: domain,
  ticks: logTicks(domain[0], domain[1]),
  format: kbpsTick,
});
/** Six resolution colours (`--series-0` … `--series-5` in dashboards.css), reused beyond six. */
const SERIES_COLOURS = 6;

/** A chart's series and axes, and what it shows in words (the canvas says nothing). */
export interface ChartView {
  chart: XyChart;
  label: string;
}

function rungSeries(plan: LadderPlan, kind: 'proposed' | 'current', y: (rung: PlanRung) => number): XySeries {
  const ladder = plan[kind];
  const name = kind === 'proposed' ? 'Proposed' : 'Current';
  return {
    key: kind,
    label:
      kind === 'proposed'
        ? `Proposed rungs (${ladder.rungs.length}, diamonds)`
        : `Current rungs, ${ladder.id} (${ladder.rungs.length}, squares)`,
    ...(kind === 'proposed'
      ? { colour: '--bad', marker: 'diamond', markerSize: 14 }
      : { colour: '--text', marker: 'square', markerSize: 12, hollow: true }),
    points: ladder.rungs.map((rung) => ({
      x: rung.bitrateKbps,
      y: y(rung),
      text: `${name} ${rungLabel(rung)}: ${rung.predictedQuality.toFixed(2)} dB PSNR`,
    })),
  };
}

/** PSNR against bitrate (log), a line per resolution, the hull ringed, and both ladders' rungs on it. */
export function hullChart(plan: LadderPlan): ChartView {
  const xDomain = logDomain(planBitrates(plan));
  const yAxis = qualityAxis([
    ...plan.points.map((p) => p.psnrDb),
    ...plan.proposed.rungs.map((r) => r.predictedQuality),
    ...plan.current.rungs.map((r) => r.predictedQuality),
  ]);
  const resolutions = resolutionSeries(plan.points);
  const hull = hullPoints(plan.points);
  const series: XySeries[] = [
    ...resolutions.map(
      (resolution, index): XySeries => ({
        key: `${resolution.height}p`,
        label: `${resolution.label} probe encodes`,
        colour: `--series-${index % SERIES_COLOURS}`,
        lineWidth: 2,
        marker: 'dot',
        markerSize: 7,
        points: resolution.points.map((p) => ({
          x: p.bitrateKbps,
          y: p.psnrDb,
          text: `${p.width}×${p.height}: ${p.psnrDb.toFixed(2)} dB PSNR, SSIM ${p.ssim.toFixed(3)}${p.onHull ? ' (on the hull)' : ''}`,
        })),
      }),
    ),
    {
      key: 'hull',
      label: `Upper convex hull (${hull.length} points, ringed)`,
      colour: '--text',
      lineWidth: 1.5,
      dash: [5, 4],
      marker: 'ring',
      markerSize: 13,
      hollow: true,
      points: hull.map((p) => ({
        x: p.bitrateKbps,
        y: p.psnrDb,
        text: `${p.width}×${p.height}: ${p.psnrDb.toFixed(2)} dB PSNR`,
      })),
    },
    rungSeries(plan, 'current', (rung) => rung.predictedQuality),
    rungSeries(plan, 'proposed', (rung) => rung.predictedQuality),
  ];
  return {
    chart: {
      x: bitrateAxis('Video bitrate (kbit/s, log scale)', xDomain),
      y: { label: 'PSNR (dB)', range: yAxis.domain, ticks: yAxis.ticks, format: (db) => `${db}` },
      series,
    },
    label:
      `PSNR against bitrate per resolution (${resolutions.map((r) => r.label).join(', ')}), ` +
      `with the convex hull (${hull.length} points), ${plan.proposed.rungs.length} proposed and ${plan.current.rungs.length} current rungs`,
  };
}

/** The audience chart's rows: the throughput in the middle, each ladder's rungs above and below it. */
const ROWS = { proposed: 1, throughput: 0, current: -1 } as const;
const ROW_NAMES = new Map<number, string>([
  [ROWS.proposed, 'Proposed'],
  [ROWS.throughput, 'Viewers'],
  [ROWS.current, 'Current'],
]);

/** The throughput distribution as a box (p25–p75, median) with whiskers (p10–p90), the rungs beside it. */
export function audienceChart(plan: LadderPlan): ChartView {
  const q = plan.audience.throughputKbps;
  const xDomain = logDomain([
    q.p10,
    q.p90,
    ...plan.proposed.rungs.map((r) => r.bitrateKbps),
    ...plan.current.rungs.map((r) => r.bitrateKbps),
  ]);
  const quantile = (name: keyof typeof q) => ({
    x: q[name],
    y: ROWS.throughput,
    text: `${name} ${formatKbps(q[name])}`,
  });
  const throughput = { colour: '--warn' } as const;
  const series: XySeries[] = [
    {
      ...throughput,
      key: 'whiskers',
      label: 'Throughput p10–p90 (whiskers)',
      lineWidth: 2,
      marker: 'bar',
      markerSize: 18,
      points: [quantile('p10'), quantile('p90')],
    },
    {
      key: 'box',
      label: 'Throughput p25–p75 (box: half the viewers)',
      colour: '--box',
      lineWidth: 18,
      marker: 'none',
      points: [quantile('p25'), quantile('p75')],
    },
    {
      ...throughput,
      key: 'median',
      label: 'Median throughput',
      marker: 'bar',
      markerSize: 26,
      points: [quantile('p50')],
    },
    rungSeries(plan, 'proposed', () => ROWS.proposed),
    rungSeries(plan, 'current', () => ROWS.current),
  ];
  return {
    chart: {
      x: bitrateAxis('Throughput and rung bitrate (kbit/s, log scale)', xDomain),
      y: {
        range: [ROWS.current - 0.7, ROWS.proposed + 0.7],
        ticks: [ROWS.current, ROWS.throughput, ROWS.proposed],
        format: (row) => ROW_NAMES.get(row) ?? '',
        size: 72,
      },
      series,
    },
    label: `Viewers' throughput: p10 ${formatKbps(q.p10)}, median ${formatKbps(q.p50)}, p90 ${formatKbps(q.p90)}, with the rungs' bitrates`,
  };
}
