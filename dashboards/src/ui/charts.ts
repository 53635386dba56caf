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

/** One uPlot chart in `element`: made on the first paint, given new data on the next ones. */
export function createChart(element: HTMLElement, series: SeriesView[], chart: ChartOptions) {
  let plot: uPlot | undefined;
  const height = chart.heightPx ?? DEFAULT_HEIGHT_PX;
  const width = () => Math.max(element.clientWidth, 300);
  const emptyLabel = element.getAttribute('aria-label') ?? '';

  const options = (): uPlot.Options => {
    const css = getComputedStyle(document.documentElement);
    const colour = (name: string) => css.getPropertyValue(name).trim();
    const axis: uPlot.Axis = {
      stroke: colour('--muted'),
      grid: { stroke: colour('--line'), width: 1 },
      ticks: { stroke: colour('--line'), width: 1 },
    };
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
