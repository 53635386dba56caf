/**
 * `/dashboards/`: the QoE overview, every video or one, for product teams. Each metric card shows the
 * number over the range and its change against the period of the same length just before it
 * (relative for counts and times, in points for ratios and the score), marked better or worse; a
 * uPlot chart (charts.ts) shows the metric picked (`?metric=`) per time bucket, this period against
 * the one before it, bucket for bucket; under them the breakdown table (breakdown-table.ts), sorted
 * by impact, whose rows narrow everything to them when clicked.
 */
import type { ApiClient, OverviewAnswer, QoeParams, TimeseriesAnswer } from './api-client.js';
import { breakdownTable } from './breakdown-table.js';
import { createChart } from './charts.js';
import { formatDuration, integer } from './format.js';
import { describeChange, METRICS, metricOf, spanLabel } from './overview-view.js';
import { $, type LoadResult, startPage } from './page-shell.js';

const cards = $('#cards');
const chartMetric = $<HTMLSelectElement>('#chart-metric');
chartMetric.append(...METRICS.map((metric) => new Option(metric.label, metric.name)));
const wanted = new URLSearchParams(location.search).get('metric');
chartMetric.value = METRICS.some((metric) => metric.name === wanted) ? wanted! : 'plays';

const chart = createChart(
  $('#overview-chart'),
  [
    { label: 'This period', colour: '--accent' },
    { label: 'Period before', colour: '--muted', dash: [5, 4] },
  ],
  { syncKey: 'overview', format: (v) => metricOf(chartMetric.value).format(v) },
);

function paintCards(overview: OverviewAnswer | null, before: OverviewAnswer | null, spanMs: number): void {
  for (const metric of METRICS) {
    const element = $(`[data-metric="${metric.name}"]`);
    const value = overview ? metric.value(overview) : null;
    element.dataset.value = value === null ? '' : String(value);
    element.textContent = value === null ? '—' : metric.format(value);
    const delta = $(`[data-delta="${metric.name}"]`);
    if (overview === null || before === null) {
      delta.textContent = '';
      delta.dataset.direction = '';
      continue;
    }
    const change = describeChange(metric, value, metric.value(before));
    delta.dataset.direction = change.direction;
    delta.textContent =
      change.direction === 'better' || change.direction === 'worse'
        ? `${change.text} vs the previous ${spanLabel(spanMs)}`
        : change.text;
  }
  $('#metric-rebuffer-detail').textContent = overview
    ? `${integer.format(overview.rebufferCount)} ${overview.rebufferCount === 1 ? 'stall' : 'stalls'}, ${formatDuration(overview.rebufferTimeMs)} stalled`
    : 'stalled ÷ (watched + stalled)';
  cards.dataset.stale = 'false';
}

/** Both periods' buckets, bucket for bucket (both ranges have one length, so one interval). */
function paintChart(series: TimeseriesAnswer | null, before: TimeseriesAnswer | null): void {
  if (series === null || before === null) {
    chart.clear();
    return;
  }
  const metric = metricOf(chartMetric.value);
  const times = series.points.map((point) => point.timeMs / 1000);
  const now = series.points.map((point) => metric.value(point));
  const earlier = series.points.map((_, i) => {
    const point = before.points[i];
    return point === undefined ? null : metric.value(point);
  });
  const known = now.filter((v): v is number => v !== null);
  chart.paint(
    [times, now, earlier],
    `${metric.label} per ${series.interval} from ${new Date(series.from).toLocaleString()}, ${known.length} buckets with a value, against the period before.`,
  );
}

let shown: { series: TimeseriesAnswer; before: TimeseriesAnswer } | null = null;

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const spanMs = Date.parse(params.to) - Date.parse(params.from);
  const previous = {
    ...params,
    from: new Date(Date.parse(params.from) - spanMs).toISOString(),
    to: params.from,
  };
  const [overview, before, series, seriesBefore, breakdown] = await Promise.all([
    api.overview(params),
    api.overview(previous),
    api.timeseries(params),
    api.timeseries(previous),
    api.breakdown({ ...params, dimension: breakdownTable.dimension() }),
  ]);
  paintCards(overview, before, spanMs);
  breakdownTable.paint(breakdown);
  shown = { series, before: seriesBefore };
  paintChart(series, seriesBefore);
  if (overview.plays === 0)
    return {
      state: 'empty',
      message: `No plays yet ${params.videoId ? 'for this video' : 'of any video'} in this range.`,
      scope: overview.synthetic,
    };
  return {
    state: 'ready',
    message: `Updated ${new Date().toLocaleTimeString()} · ${new Date(overview.from).toLocaleString()} – ${new Date(overview.to).toLocaleString()} · ${breakdownTable.summary(breakdown)}`,
    scope: overview.synthetic,
  };
}

const shell = startPage({
  allVideos: true,
  load,
  clear: () => {
    shown = null;
    paintCards(null, null, 0);
    paintChart(null, null);
    breakdownTable.paint(null);
  },
  stale: () => {
    cards.dataset.stale = 'true';
    breakdownTable.stale();
  },
  writeUrl: (params) => {
    params.set('metric', chartMetric.value);
    breakdownTable.writeUrl(params);
  },
});
breakdownTable.connect(
  (name, value) => shell.addFilter(name, value),
  () => shell.reload(),
);
// Another metric of the same numbers: no new request, only the chart and the URL change.
chartMetric.addEventListener('change', () => {
  if (shown === null) shell.reload();
  else {
    paintChart(shown.series, shown.before);
    const url = new URL(location.href);
    url.searchParams.set('metric', chartMetric.value);
    history.replaceState(null, '', url);
  }
});
