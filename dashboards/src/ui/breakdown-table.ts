/**
 * The breakdown table (`breakdown-table.html`, on the Breakdown page and under the Overview's cards):
 * the QoE numbers per value of one dimension (browser, device, country, variant, ladder…, and for
 * simulated viewers their cohort and network class), sorted by IMPACT: the share of the picked
 * badness (`?impact=`: stall time, start failures or errors) each row causes, so the row to fix first
 * is on top. Clicking a row's value narrows every number on every page to it (a filter in the URL,
 * shown as a chip that removes it). Values with fewer viewers than the privacy floor are listed last,
 * named but without numbers ("< k viewers").
 */
import type { BreakdownAnswer, BreakdownDimension, FilterName } from './api-client.js';
import { cell, emptyRow, suppressedRow } from './dom.js';
import { formatDuration, formatKbps, formatMs, formatRatio, integer, orDash } from './format.js';
import { $ } from './page-shell.js';

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

/** The badness a row can cause, and how much of it a row has: what "impact" sorts by. */
const IMPACTS: { name: string; label: string; amount: (row: Row) => number }[] = [
  { name: 'rebuffering', label: 'stall time', amount: (r) => r.rebufferTimeMs },
  {
    name: 'start-failures',
    label: 'video start failures',
    amount: (r) => (r.plays * (r.videoStartFailurePercent ?? 0)) / 100,
  },
  { name: 'errors', label: 'errors', amount: (r) => r.errors },
];

/** Set by the page: narrows every number to a value clicked (page-shell's addFilter). */
let onPick: (name: FilterName, value: string) => void = () => undefined;

const table = $('#breakdown');
const rows = $('#breakdown-rows');
const dimensionSelect = $<HTMLSelectElement>('#dimension');
dimensionSelect.replaceChildren(...DIMENSIONS.map((d) => new Option(d.label, d.name)));
const fromUrl = new URLSearchParams(location.search).get('dimension');
dimensionSelect.value = DIMENSIONS.find((d) => d.name === fromUrl)?.name ?? DEFAULT_DIMENSION;
const dimension = () => dimensionSelect.value as BreakdownDimension;
const impactSelect = $<HTMLSelectElement>('#impact');
impactSelect.replaceChildren(...IMPACTS.map((i) => new Option(i.label, i.name)));
const impactFromUrl = new URLSearchParams(location.search).get('impact');
impactSelect.value = IMPACTS.find((i) => i.name === impactFromUrl)?.name ?? IMPACTS[0]!.name;
const impact = () => IMPACTS.find((i) => i.name === impactSelect.value) ?? IMPACTS[0]!;

/** Each row with its share of the picked badness (null when no row has any), highest first. */
function byImpact(
  answerRows: readonly Row[],
  amount: (row: Row) => number,
): { row: Row; share: number | null }[] {
  const total = answerRows.reduce((sum, row) => sum + amount(row), 0);
  return answerRows
    .map((row) => ({ row, share: total > 0 ? amount(row) / total : null }))
    .sort((a, b) => (b.share ?? 0) - (a.share ?? 0) || b.row.plays - a.row.plays);
}

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
  const withheld = answer.privacy.suppressed.map((value) =>
    suppressedRow(valueLabel(value), COLUMNS.length + 2, answer.privacy.minViewers),
  );
  if (answer.rows.length === 0 && withheld.length === 0) {
    rows.replaceChildren(emptyRow(COLUMNS.length + 2, 'No views in this range.'));
    return;
  }
  const picked = impact();
  rows.replaceChildren(
    ...byImpact(answer.rows, picked.amount).map(({ row, share }) => {
      const tr = document.createElement('tr');
      tr.dataset.value = row.value;
      tr.append(
        valueCell(row.value),
        cell(share === null ? '—' : `${(share * 100).toFixed(1)} %`, { column: 'impact' }, 'number'),
        ...COLUMNS.map((column) => cell(column.text(row), { column: column.name }, 'number')),
      );
      return tr;
    }),
  );
  // The withheld rows go last: they have no impact to sort by.
  rows.append(...withheld);
}

/** The row's value as a button that narrows every number to it (the video: its own picker). */
function valueCell(value: string): HTMLTableCellElement {
  const td = cell('', { column: 'value' }, value === '' ? 'muted' : undefined);
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'link';
  button.textContent = valueLabel(value);
  button.setAttribute('aria-label', `Show only ${dimension()} ${valueLabel(value)}`);
  button.addEventListener('click', () => {
    const name = dimension();
    if (name === 'videoId') location.search = withParam('videoId', value);
    else onPick(name as FilterName, value);
  });
  td.append(button);
  return td;
}

const withParam = (name: string, value: string): string => {
  const params = new URLSearchParams(location.search);
  params.set(name, value);
  return params.toString();
};

/** The table's controls and painting, for the page that shows it. */
export const breakdownTable = {
  dimension,
  /** "3 values of Browser · 1 hidden (fewer than 5 viewers each)", for the status line. */
  summary(answer: BreakdownAnswer): string {
    const label = DIMENSIONS.find((d) => d.name === answer.dimension)?.label ?? answer.dimension;
    const { minViewers, suppressed } = answer.privacy;
    const hidden =
      suppressed.length === 0 ? '' : ` · ${suppressed.length} hidden (fewer than ${minViewers} viewers each)`;
    return `${answer.rows.length} ${answer.rows.length === 1 ? 'value' : 'values'} of ${label}${hidden}`;
  },
  paint,
  stale: () => {
    table.dataset.stale = 'true';
  },
  writeUrl: (params: URLSearchParams) => {
    params.set('dimension', dimension());
    params.set('impact', impactSelect.value);
  },
  /** `pick` narrows the page to a clicked value; `reload` runs when a control changes. */
  connect(pick: (name: FilterName, value: string) => void, reload: () => void) {
    onPick = pick;
    dimensionSelect.addEventListener('change', reload);
    impactSelect.addEventListener('change', reload);
  },
};
