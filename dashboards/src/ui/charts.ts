/**
 * The pages' time-series charts: uPlot (small, fast, canvas; what Grafana uses). uPlot sizes its
 * elements through the CSSOM (`el.style.width = …`), which the pages' CSP allows (it refuses style
 * attributes in markup and stylesheets without the nonce, not script-set styles); its stylesheet is
 * imported here, so the build emits it beside the page's script (`dist/ui/<page>.css`) and
 * mount-dashboards inlines it under the nonce. What a chart was given (`uPlot#data`: times in epoch
 * seconds, then one array per series) is on its element as `data-plot`, for tests and scrapers.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesView {
  label: string;
  /** A custom property of dashboards.css: the canvas cannot read CSS, so the colour is looked up once. */
  colour: string;
  dash?: number[];
}

export interface ChartOptions {
  /** Charts with one key share the cursor: hovering a time on one shows it on the others. */
  syncKey: string;
  /** How the y axis and the legend write a value. */
  format: (value: number) => string;
  /** The y axis starts at zero (counts), else it follows the data. */
  fromZero?: boolean;
  /** The y axis' tick steps (whole numbers for counts); uPlot's own otherwise. */
  steps?: readonly number[];
  heightPx?: number;
}

const DEFAULT_HEIGHT_PX = 220;

/** The page's colours, read when a chart is drawn (the canvas cannot read CSS), and the axis style. */
function theme(): { colour: (name: string) => string; axis: uPlot.Axis } {
  const css = getComputedStyle(document.documentElement);
  const colour = (name: string) => css.getPropertyValue(name).trim();
  return {
    colour,
    axis: {
      stroke: colour('--muted'),
      grid: { stroke: colour('--line'), width: 1 },
      ticks: { stroke: colour('--line'), width: 1 },
    },
  };
}

/** One uPlot chart in `element`: made on the first paint, given new data on the next ones. */
export function createChart(element: HTMLElement, series: SeriesView[], chart: ChartOptions) {
  let plot: uPlot | undefined;
  const height = chart.heightPx ?? DEFAULT_HEIGHT_PX;
  const width = () => Math.max(element.clientWidth, 300);
  const emptyLabel = element.getAttribute('aria-label') ?? '';

  const options = (): uPlot.Options => {
    const { colour, axis } = theme();
    return {
      width: width(),
      height,
      cursor: { sync: { key: chart.syncKey } },
      scales: {
        x: { time: true },
        // A quiet range still has an axis to read.
        ...(chart.fromZero ? { y: { range: (_plot, _min, max) => [0, Math.max(1, max)] } } : {}),
      },
      axes: [
        axis,
        {
          ...axis,
          ...(chart.steps ? { incrs: [...chart.steps] } : {}),
          values: (_plot, splits) => splits.map(chart.format),
        },
      ],
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: colour(s.colour),
            width: 2,
            points: { show: true, size: 5 },
            value: (_plot, v) => (v === null ? '—' : chart.format(v)),
            ...(s.dash ? { dash: s.dash } : {}),
          }),
        ),
      ],
    };
  };

  new ResizeObserver(() => {
    if (plot && plot.width !== width()) plot.setSize({ width: width(), height });
  }).observe(element);

  return {
    /** `label`: what the chart shows, in words, for screen readers (the canvas says nothing). */
    paint(data: uPlot.AlignedData, label: string): void {
      if (plot) plot.setData(data);
      else plot = new uPlot(options(), data, element);
      element.dataset.plot = JSON.stringify(plot.data);
      element.setAttribute('aria-label', label);
    },
    clear(): void {
      plot?.destroy();
      plot = undefined;
      element.dataset.plot = '';
      element.setAttribute('aria-label', emptyLabel);
    },
  };
}

/** The mark at each point of an x-y series. */
export type Marker = 'dot' | 'ring' | 'diamond' | 'square' | 'bar' | 'none';

export interface XyPoint {
  x: number;
  y: number;
  /** What the legend says while the cursor is on the point; the y axis' format of `y` otherwise. */
  text?: string;
}

export interface XySeries extends SeriesView {
  /** The series' column in the chart's `data-series` (the names of `data-plot`'s arrays). */
  key: string;
  /** At most one point per x (the plot keeps the last). */
  points: readonly XyPoint[];
  /** A line through the points by x, in CSS pixels; none (marks alone) when absent. */
  lineWidth?: number;
  marker: Marker;
  /** The mark's height in CSS pixels. */
  markerSize?: number;
  /** An outline only (the marks of other series show through), else a filled mark. */
  hollow?: boolean;
}

export interface XyAxis {
  /** None when the tick texts say it all. */
  label?: string;
  format: (value: number) => string;
  range: readonly [number, number];
  ticks: readonly number[];
}

export interface XyChart {
  /**
   * `key`: the x column's name in `data-series`; `log`: a log-10 axis (bitrates span decades);
   * `cursor`: how the legend names and writes the x under the cursor (the axis' label and ticks' format
   * otherwise).
   */
  x: XyAxis & { key: string; log?: boolean; cursor?: { label: string; format: (value: number) => string } };
  /** `size`: room for the tick texts in CSS pixels, when they are words. */
  y: XyAxis & { size?: number };
  series: readonly XySeries[];
}

export interface XyChartPlace {
  heightPx?: number;
  /**
   * Where the legend goes, below the chart otherwise: outside an element that is `role="img"`, a
   * screen reader reads it too.
   */
  legend?: HTMLElement;
}

const BAR_WIDTH_PX = 3;

function addMarker(path: Path2D, marker: Marker, cx: number, cy: number, r: number): void {
  switch (marker) {
    case 'dot':
    case 'ring':
      path.moveTo(cx + r, cy);
      path.arc(cx, cy, r, 0, 2 * Math.PI);
      return;
    case 'square':
      path.rect(cx - r, cy - r, 2 * r, 2 * r);
      return;
    case 'diamond':
      path.moveTo(cx, cy - r);
      path.lineTo(cx + r, cy);
      path.lineTo(cx, cy + r);
      path.lineTo(cx - r, cy);
      path.closePath();
      return;
    case 'bar': {
      const half = (BAR_WIDTH_PX / 2) * uPlot.pxRatio;
      path.rect(cx - half, cy - r, 2 * half, 2 * r);
      return;
    }
    case 'none':
      return;
  }
}

/** uPlot draws round points only; the other marks are paths in canvas pixels. */
function markerPaths(marker: Marker, sizePx: number): uPlot.Series.Points.PathBuilder {
  return (plot, seriesIdx, idx0, idx1) => {
    const xs = plot.data[0];
    const ys = plot.data[seriesIdx];
    const r = (sizePx / 2) * uPlot.pxRatio;
    const path = new Path2D();
    for (let i = idx0; i <= idx1; i++) {
      const x = xs[i];
      const y = ys?.[i];
      if (x === undefined || y === undefined || y === null) continue;
      addMarker(path, marker, plot.valToPos(x, 'x', true), plot.valToPos(y, 'y', true), r);
    }
    return { stroke: path, fill: path };
  };
}

/**
 * The series on one x axis (uPlot's aligned data: every series' x values merged, null where a series
 * has no point), with each point's legend text at the same place.
 */
function alignSeries(series: readonly XySeries[]) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const ys = xs.map((): number | null => null);
    const texts = xs.map((): string | undefined => undefined);
    for (const point of s.points) {
      const i = at.get(point.x);
      if (i === undefined) continue;
      ys[i] = point.y;
      texts[i] = point.text;
    }
    return { ys, texts };
  });
  const data: uPlot.AlignedData = [xs, ...columns.map((c) => c.ys)];
  return { data, texts: columns.map((c) => c.texts) };
}

/**
 * One uPlot x-y chart in `element` (rate against quality, rungs against throughput): each series has
 * its own x values, a line joins a series' points across the others' x (uPlot's `spanGaps`), marks
 * say which kind of point it is. Each paint draws the chart anew (a plan brings its own series and
 * axes). `data-plot` holds what uPlot was given (the merged x values, then one array per series,
 * null where a series has no point) and `data-series` the arrays' names.
 */
export function createXyChart(element: HTMLElement, place: XyChartPlace = {}) {
  let plot: uPlot | undefined;
  const heightPx = place.heightPx ?? DEFAULT_HEIGHT_PX;
  const width = () => Math.max(element.clientWidth, 300);
  const emptyLabel = element.getAttribute('aria-label') ?? '';

  const options = (chart: XyChart, texts: (string | undefined)[][]): uPlot.Options => {
    const { colour, axis } = theme();
    const { x, y } = chart;
    const series = chart.series.map((s) => ({ ...s, stroke: colour(s.colour) }));
    return {
      width: width(),
      height: heightPx,
      scales: {
        x: { time: false, ...(x.log ? { distr: 3, log: 10 } : {}), range: () => [x.range[0], x.range[1]] },
        y: { range: () => [y.range[0], y.range[1]] },
      },
      axes: [
        {
          ...axis,
          ...(x.label ? { label: x.label } : {}),
          splits: () => [...x.ticks],
          // The ticks given are the ones to write: uPlot's log axes would blank some for space.
          filter: (_plot, splits) => splits,
          values: (_plot, splits) => splits.map(x.format),
        },
        {
          ...axis,
          ...(y.label ? { label: y.label } : {}),
          ...(y.size ? { size: y.size } : {}),
          splits: () => [...y.ticks],
          values: (_plot, splits) => splits.map(y.format),
        },
      ],
      legend: {
        ...(place.legend ? { mount: (_plot, table) => place.legend?.replaceChildren(table) } : {}),
        markers: {
          width: 2,
          stroke: (_plot, i) => series[i - 1]?.stroke ?? '',
          fill: (_plot, i) => (series[i - 1]?.hollow ? 'transparent' : (series[i - 1]?.stroke ?? '')),
          dash: (_plot, i) => (series[i - 1]?.dash ? 'dashed' : 'solid'),
        },
      },
      series: [
        {
          label: x.cursor?.label ?? x.label ?? '',
          value: (_plot, v) => (v === null ? '—' : (x.cursor?.format ?? x.format)(v)),
        },
        ...series.map((s, index): uPlot.Series => {
          const size = s.markerSize ?? 6;
          return {
            label: s.label,
            class: `marker-${s.marker}`,
            stroke: s.stroke,
            width: s.lineWidth ?? 0,
            spanGaps: true,
            ...(s.lineWidth ? {} : { paths: () => null }),
            ...(s.dash ? { dash: s.dash } : {}),
            points: {
              show: s.marker !== 'none',
              size,
              width: s.hollow ? 2 : 1,
              stroke: s.hollow ? s.stroke : colour('--panel'),
              fill: s.hollow ? 'transparent' : s.stroke,
              paths: markerPaths(s.marker, size),
            },
            value: (_plot, v, _i, idx) =>
              v === null ? '—' : ((idx === null ? undefined : texts[index]?.[idx]) ?? y.format(v)),
          };
        }),
      ],
    };
  };

  new ResizeObserver(() => {
    if (plot && plot.width !== width()) plot.setSize({ width: width(), height: heightPx });
  }).observe(element);

  return {
    /** `label`: what the chart shows, in words, for screen readers (the canvas says nothing). */
    paint(chart: XyChart, label: string): void {
      const { data, texts } = alignSeries(chart.series);
      plot?.destroy();
      plot = new uPlot(options(chart, texts), data, element);
      element.dataset.plot = JSON.stringify(plot.data);
      element.dataset.series = [chart.x.key, ...chart.series.map((s) => s.key)].join(',');
      element.setAttribute('aria-label', label);
    },
    clear(): void {
      plot?.destroy();
      plot = undefined;
      element.dataset.plot = '';
      element.dataset.series = '';
      element.setAttribute('aria-label', emptyLabel);
    },
  };
}
