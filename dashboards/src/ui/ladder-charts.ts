/**
 * The ladder page's two charts as inline SVG built with DOM calls (no chart library in this package,
 * and nothing here needs a style attribute, so the pages' CSP holds): the rate–quality hull and the
 * audience's throughput with the rungs over it. Colours come from classes in dashboards.css; every
 * mark carries a <title> with its numbers, and each series a `data-series` for tests and scrapers.
 */
import { formatKbps } from './format.js';
import {
  hullPoints,
  kbpsTick,
  type LadderPlan,
  linearScale,
  logDomain,
  logScale,
  logTicks,
  planBitrates,
  qualityAxis,
  resolutionSeries,
  rungLabel,
} from './ladder-view.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Six resolution colours (`.series.s0` … `.s5` in the CSS), reused beyond six. */
const SERIES_COLOURS = 6;

type Attributes = Record<string, string | number>;

function svg<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Attributes = {},
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  element.append(...children);
  return element;
}

const title = (text: string) => svg('title', {}, text);
const round = (n: number) => Math.round(n * 10) / 10;

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Vertical grid lines with bitrate labels along the bottom of the plot area. */
function bitrateAxis(frame: Frame, x: (kbps: number) => number, domain: [number, number], label: string) {
  const group = svg('g', { class: 'axis', 'data-axis': 'x' });
  for (const tick of logTicks(domain[0], domain[1])) {
    const at = round(x(tick));
    group.append(
      svg('line', { class: 'grid', x1: at, x2: at, y1: frame.top, y2: frame.height - frame.bottom }),
      svg(
        'text',
        { x: at, y: frame.height - frame.bottom + 16, 'text-anchor': 'middle', class: 'tick' },
        kbpsTick(tick),
      ),
    );
  }
  group.append(
    svg(
      'text',
      {
        x: (frame.left + frame.width - frame.right) / 2,
        y: frame.height - 6,
        'text-anchor': 'middle',
        class: 'axis-label',
      },
      label,
    ),
  );
  return group;
}

function legendItem(series: string, swatch: string, text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.series = series;
  const mark = document.createElement('span');
  mark.className = `swatch ${swatch}`;
  mark.setAttribute('aria-hidden', 'true');
  item.append(mark, text);
  return item;
}

/** A diamond (proposed rung) or a square (current rung) centred on (cx, cy). */
function rungMark(kind: 'proposed' | 'current', cx: number, cy: number): SVGElement {
  const r = 6;
  if (kind === 'current')
    return svg('rect', { x: round(cx - r), y: round(cy - r), width: 2 * r, height: 2 * r });
  const points = [
    [cx, cy - r - 1],
    [cx + r + 1, cy],
    [cx, cy + r + 1],
    [cx - r - 1, cy],
  ]
    .map(([px, py]) => `${round(px ?? 0)},${round(py ?? 0)}`)
    .join(' ');
  return svg('polygon', { points });
}

/** PSNR against bitrate (log), a line per resolution, the hull, and both ladders' rungs on it. */
export function drawHullChart(plan: LadderPlan, box: HTMLElement, legend: HTMLElement): void {
  const frame: Frame = { width: 760, height: 380, left: 52, right: 16, top: 14, bottom: 46 };
  const xDomain = logDomain(planBitrates(plan));
  const qualities = [
    ...plan.points.map((p) => p.psnrDb),
    ...plan.proposed.rungs.map((r) => r.predictedQuality),
    ...plan.current.rungs.map((r) => r.predictedQuality),
  ];
  const yAxis = qualityAxis(qualities);
  const x = logScale(xDomain, [frame.left, frame.width - frame.right]);
  const y = linearScale(yAxis.domain, [frame.height - frame.bottom, frame.top]);

  const chart = svg('svg', {
    id: 'hull-chart',
    class: 'plot',
    viewBox: `0 0 ${frame.width} ${frame.height}`,
    role: 'img',
    'aria-label': `PSNR against bitrate per resolution, with the convex hull, ${plan.proposed.rungs.length} proposed and ${plan.current.rungs.length} current rungs`,
  });
  const yGroup = svg('g', { class: 'axis', 'data-axis': 'y' });
  for (const tick of yAxis.ticks) {
    const at = round(y(tick));
    yGroup.append(
      svg('line', { class: 'grid', x1: frame.left, x2: frame.width - frame.right, y1: at, y2: at }),
      svg('text', { x: frame.left - 6, y: at + 4, 'text-anchor': 'end', class: 'tick' }, `${tick}`),
    );
  }
  yGroup.append(
    svg(
      'text',
      {
        class: 'axis-label',
        'text-anchor': 'middle',
        transform: `translate(14 ${(frame.top + frame.height - frame.bottom) / 2}) rotate(-90)`,
      },
      'PSNR (dB)',
    ),
  );
  chart.append(yGroup, bitrateAxis(frame, x, xDomain, 'Video bitrate (kbit/s, log scale)'));

  const legendItems: HTMLLIElement[] = [];
  resolutionSeries(plan.points).forEach((series, index) => {
    const colour = `s${index % SERIES_COLOURS}`;
    const group = svg('g', {
      class: `series ${colour}`,
      'data-series': 'resolution',
      'data-height': series.height,
    });
    group.append(
      svg('polyline', {
        class: 'line',
        points: series.points.map((p) => `${round(x(p.bitrateKbps))},${round(y(p.psnrDb))}`).join(' '),
      }),
      ...series.points.map((p) =>
        svg(
          'circle',
          {
            class: p.onHull ? 'point on-hull' : 'point',
            cx: round(x(p.bitrateKbps)),
            cy: round(y(p.psnrDb)),
            r: p.onHull ? 5 : 3.5,
          },
          title(
            `${p.width}×${p.height} at ${formatKbps(p.bitrateKbps)}: ${p.psnrDb.toFixed(2)} dB PSNR, SSIM ${p.ssim.toFixed(3)}${p.onHull ? ' (on the hull)' : ''}`,
          ),
        ),
      ),
    );
    chart.append(group);
    legendItems.push(legendItem('resolution', `series ${colour}`, `${series.label} probe encodes`));
  });

  const hull = hullPoints(plan.points);
  chart.append(
    svg(
      'g',
      { class: 'hull', 'data-series': 'hull' },
      svg('polyline', {
        class: 'line',
        points: hull.map((p) => `${round(x(p.bitrateKbps))},${round(y(p.psnrDb))}`).join(' '),
      }),
    ),
  );
  legendItems.push(legendItem('hull', 'hull', `Upper convex hull (${hull.length} points, ringed)`));

  for (const kind of ['current', 'proposed'] as const) {
    const ladder = plan[kind];
    const group = svg('g', { class: `rungs rung-${kind}`, 'data-series': kind });
    for (const rung of ladder.rungs) {
      const mark = rungMark(kind, x(rung.bitrateKbps), y(rung.predictedQuality));
      mark.setAttribute('data-bitrate', String(rung.bitrateKbps));
      mark.append(
        title(
          `${kind === 'proposed' ? 'Proposed' : 'Current'} ${rungLabel(rung)}: ${rung.predictedQuality.toFixed(2)} dB PSNR`,
        ),
      );
      group.append(mark);
    }
    chart.append(group);
    legendItems.push(
      legendItem(
        kind,
        `rung-${kind}`,
        kind === 'proposed'
          ? `Proposed rungs (${ladder.rungs.length}, diamonds)`
          : `Current rungs, ${ladder.id} (${ladder.rungs.length}, squares)`,
      ),
    );
  }
  box.replaceChildren(chart);
  legend.replaceChildren(...legendItems);
}

/** The throughput distribution as a box (p25–p75, median) with whiskers (p10–p90), rungs drawn over it. */
export function drawAudienceChart(plan: LadderPlan, box: HTMLElement, legend: HTMLElement): void {
  const frame: Frame = { width: 760, height: 190, left: 16, right: 16, top: 14, bottom: 46 };
  const q = plan.audience.throughputKbps;
  const xDomain = logDomain([
    q.p10,
    q.p90,
    ...plan.proposed.rungs.map((r) => r.bitrateKbps),
    ...plan.current.rungs.map((r) => r.bitrateKbps),
  ]);
  const x = logScale(xDomain, [frame.left, frame.width - frame.right]);
  const mid = (frame.top + frame.height - frame.bottom) / 2;
  const chart = svg('svg', {
    id: 'audience-chart',
    class: 'plot',
    viewBox: `0 0 ${frame.width} ${frame.height}`,
    role: 'img',
    'aria-label': `Viewers' throughput: p10 ${formatKbps(q.p10)}, median ${formatKbps(q.p50)}, p90 ${formatKbps(q.p90)}, with the rungs' bitrates`,
  });
  chart.append(bitrateAxis(frame, x, xDomain, 'Throughput and rung bitrate (kbit/s, log scale)'));
  const boxTop = mid - 18;
  const boxHeight = 36;
  chart.append(
    svg(
      'g',
      { class: 'distribution', 'data-series': 'throughput' },
      svg('line', { class: 'whisker', x1: round(x(q.p10)), x2: round(x(q.p90)), y1: mid, y2: mid }),
      svg('line', { class: 'whisker', x1: round(x(q.p10)), x2: round(x(q.p10)), y1: mid - 10, y2: mid + 10 }),
      svg('line', { class: 'whisker', x1: round(x(q.p90)), x2: round(x(q.p90)), y1: mid - 10, y2: mid + 10 }),
      svg(
        'rect',
        {
          class: 'box',
          x: round(x(q.p25)),
          y: boxTop,
          width: Math.max(1, round(x(q.p75) - x(q.p25))),
          height: boxHeight,
        },
        title(`Half the viewers fetch between ${formatKbps(q.p25)} and ${formatKbps(q.p75)}`),
      ),
      svg(
        'line',
        { class: 'median', x1: round(x(q.p50)), x2: round(x(q.p50)), y1: boxTop, y2: boxTop + boxHeight },
        title(`Median throughput ${formatKbps(q.p50)}`),
      ),
    ),
  );
  // Proposed rungs above the box's middle, current ones below: both visible where they coincide.
  for (const kind of ['proposed', 'current'] as const) {
    const [y1, y2] = kind === 'proposed' ? [frame.top, mid] : [mid, frame.height - frame.bottom];
    const group = svg('g', { class: `rungs rung-${kind}`, 'data-series': kind });
    for (const rung of plan[kind].rungs) {
      const at = round(x(rung.bitrateKbps));
      group.append(
        svg(
          'line',
          { class: 'rung-line', x1: at, x2: at, y1, y2, 'data-bitrate': rung.bitrateKbps },
          title(`${kind === 'proposed' ? 'Proposed' : 'Current'} ${rungLabel(rung)}`),
        ),
      );
    }
    chart.append(group);
  }
  box.replaceChildren(chart);
  legend.replaceChildren(
    legendItem('throughput', 'distribution', 'Throughput: box p25–p75 with the median, whiskers p10–p90'),
    legendItem('proposed', 'rung-proposed', 'Proposed rungs (upper half)'),
    legendItem('current', 'rung-current', 'Current rungs (lower half)'),
  );
}
