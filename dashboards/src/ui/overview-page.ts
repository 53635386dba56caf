/**
 * `/dashboards/`: the QoE overview of one video for product teams — plays, viewers, startup,
 * rebuffering, watch time and errors over a time range, for the viewer scope picked.
 */
import type { ApiClient, OverviewAnswer, QoeParams } from './api-client.js';
import { formatDuration, formatMs, formatRatio, integer } from './format.js';
import { $, type LoadResult, startPage } from './page-shell.js';

const cards = $('#cards');

/** Each card: `[data-metric]` shows the formatted number, `data-value` the API's raw one ('' for null). */
const METRICS: {
  name: string;
  value: (o: OverviewAnswer) => number | null;
  format: (v: number) => string;
}[] = [
  { name: 'plays', value: (o) => o.plays, format: (v) => integer.format(v) },
  { name: 'viewers', value: (o) => o.viewers, format: (v) => integer.format(v) },
  { name: 'startup-p50', value: (o) => o.startupTimeMs.p50, format: formatMs },
  { name: 'startup-p95', value: (o) => o.startupTimeMs.p95, format: formatMs },
  { name: 'rebuffer-ratio', value: (o) => o.rebufferRatio, format: formatRatio },
  { name: 'watch-time', value: (o) => o.watchTimeMs, format: formatDuration },
  { name: 'errors', value: (o) => o.errors, format: (v) => integer.format(v) },
];

function paint(overview: OverviewAnswer | null): void {
  for (const metric of METRICS) {
    const element = $(`[data-metric="${metric.name}"]`);
    const value = overview ? metric.value(overview) : null;
    element.dataset.value = value === null ? '' : String(value);
    element.textContent = value === null ? '—' : metric.format(value);
  }
  $('#metric-rebuffer-detail').textContent = overview
    ? `${integer.format(overview.rebufferCount)} ${overview.rebufferCount === 1 ? 'stall' : 'stalls'}, ${formatDuration(overview.rebufferTimeMs)} stalled`
    : 'stalled ÷ (watched + stalled)';
  cards.dataset.stale = 'false';
}

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const overview = await api.overview(params);
  paint(overview);
  if (overview.plays === 0)
    return {
      state: 'empty',
      message: 'No plays yet for this video in this range.',
      scope: overview.synthetic,
    };
  return {
    state: 'ready',
    message: `Updated ${new Date().toLocaleTimeString()} · ${new Date(overview.from).toLocaleString()} – ${new Date(overview.to).toLocaleString()}`,
    scope: overview.synthetic,
  };
}

startPage({
  allVideos: false,
  load,
  clear: () => paint(null),
  stale: () => {
    cards.dataset.stale = 'true';
  },
});
