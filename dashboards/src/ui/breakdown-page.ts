/**
 * `/dashboards/breakdown`: the QoE numbers per value of one dimension (browser, device, country,
 * variant, ladder…, and for simulated viewers their cohort and network class), for the scope picked.
 */
import type { ApiClient, BreakdownAnswer, BreakdownDimension, QoeParams } from './api-client.js';
import { cell, emptyRow } from './dom.js';
import { formatDuration, formatKbps, formatMs, formatRatio, integer, orDash } from './format.js';
import { $, type LoadResult, startPage } from './page-shell.js';

/** Only simulated viewers have these; a real viewer's row is ''. */
const SIMULATED_ONLY = new Set<BreakdownDimension>(['cohort', 'networkClass']);

const DIMENSIONS: { name: BreakdownDimension; label: string }[] = [
  { name: 'browser', label: 'Browser' },
  { name: 'os', label: 'OS' },
  { name: 'deviceClass', label: 'Device class' },
  { name: 'country', label: 'Country' },
  { name: 'videoId', label: 'Video' },
  { name: 'variant', label: 'Experiment variant' },
  { name: 'ladderId', label: 'Ladder' },
  { name: 'cohort', label: 'Cohort (simulated viewers)' },
  { name: 'networkClass', label: 'Network class (simulated viewers)' },
];
const DEFAULT_DIMENSION: BreakdownDimension = 'browser';

type Row = BreakdownAnswer['rows'][number];
const COLUMNS: { name: string; text: (row: Row) => string }[] = [
  { name: 'views', text: (r) => integer.format(r.views) },
  { name: 'plays', text: (r) => integer.format(r.plays) },
  { name: 'viewers', text: (r) => integer.format(r.viewers) },
  { name: 'startup-p50', text: (r) => orDash(r.startupTimeMs.p50, formatMs) },
  { name: 'rebuffer-ratio', text: (r) => orDash(r.rebufferRatio, formatRatio) },
  { name: 'bitrate', text: (r) => orDash(r.averageBitrateKbps, formatKbps) },
  { name: 'watch-time', text: (r) => formatDuration(r.watchTimeMs) },
  { name: 'errors', text: (r) => integer.format(r.errors) },
];

const table = $('#breakdown');
const rows = $('#breakdown-rows');
const dimensionSelect = $<HTMLSelectElement>('#dimension');
dimensionSelect.replaceChildren(...DIMENSIONS.map((d) => new Option(d.label, d.name)));
const fromUrl = new URLSearchParams(location.search).get('dimension');
dimensionSelect.value = DIMENSIONS.find((d) => d.name === fromUrl)?.name ?? DEFAULT_DIMENSION;
const dimension = () => dimensionSelect.value as BreakdownDimension;

function valueLabel(value: string): string {
  if (value !== '') return value;
  return SIMULATED_ONLY.has(dimension()) ? 'none (real viewers)' : 'unknown';
}

function paint(answer: BreakdownAnswer | null): void {
  table.dataset.stale = 'false';
  table.dataset.dimension = answer?.dimension ?? '';
  if (answer === null) {
    rows.replaceChildren();
    return;
  }
  if (answer.rows.length === 0) {
    rows.replaceChildren(emptyRow(COLUMNS.length + 1, 'No views in this range.'));
    return;
  }
  rows.replaceChildren(
    ...answer.rows.map((row) => {
      const tr = document.createElement('tr');
      tr.dataset.value = row.value;
      tr.append(
        cell(valueLabel(row.value), { column: 'value' }, row.value === '' ? 'muted' : undefined),
        ...COLUMNS.map((column) => cell(column.text(row), { column: column.name }, 'number')),
      );
      return tr;
    }),
  );
}

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const answer = await api.breakdown({ ...params, dimension: dimension() });
  paint(answer);
  const label = DIMENSIONS.find((d) => d.name === answer.dimension)?.label ?? answer.dimension;
  if (answer.rows.length === 0)
    return { state: 'empty', message: 'No views yet in this range.', scope: answer.synthetic };
  return {
    state: 'ready',
    message: `${answer.rows.length} ${answer.rows.length === 1 ? 'value' : 'values'} of ${label} · updated ${new Date().toLocaleTimeString()}`,
    scope: answer.synthetic,
  };
}

const shell = startPage({
  allVideos: true,
  load,
  clear: () => paint(null),
  stale: () => {
    table.dataset.stale = 'true';
  },
  writeUrl: (params) => params.set('dimension', dimension()),
});
dimensionSelect.addEventListener('change', () => shell.reload());
