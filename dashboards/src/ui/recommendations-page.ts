/**
 * `/dashboards/recommendations`: the feature sets analytics publishes (`GET /api/v1/features/status`)
 * with a roll back per set (`POST /api/v1/features/:set/rollback`, scope 'manage', after a
 * confirmation), and the health of recommendations over the time range and viewer scope picked
 * (`GET /api/v1/recommendations/health`): coverage, click-through per reason, and the QoE of views
 * begun from a recommendation against the others. The two halves load side by side; one failing
 * leaves the other on screen with its own numbers.
 */
import {
  ApiError,
  type FeatureSetName,
  type FeatureSetStatus,
  type RecommendationHealth,
} from './api-client.js';
import { cell, emptyRow } from './dom.js';
import { formatAge, formatBytes, formatMs, formatRatio, integer, orDash } from './format.js';
import { $, startFrame, startRangePicker } from './page-shell.js';

/** Freshness beyond this is shown as a warning: the jobs run every 15 minutes, so several runs failed. */
const STALE_AFTER_SECONDS = 3600;
const SET_COLUMNS = 8;
const CLICK_COLUMNS = 4;
const QOE_COLUMNS = 6;

const setsTable = $('#feature-sets');
const setsRows = $('#feature-sets-rows');
const rollbackResult = $('#rollback-result');
const cards = $('#coverage');
const clickTable = $('#click-through');
const clickRows = $('#click-through-rows');
const qoeTable = $('#recommended-qoe');
const qoeRows = $('#recommended-qoe-rows');

const REASON_LABELS: Record<string, string> = {
  'co-watch': 'Co-watch (watched by the same viewers)',
  popular: 'Popular',
};

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function showRollback(state: 'ok' | 'error' | '', text: string): void {
  rollbackResult.dataset.state = state;
  rollbackResult.textContent = text;
  rollbackResult.hidden = text === '';
}

function rollbackButton(status: FeatureSetStatus): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = 'Roll back';
  button.dataset.set = status.set;
  if (status.live === null || status.previous === null) {
    button.disabled = true;
    button.title = 'No previous version to roll back to';
    return button;
  }
  const from = status.live.version;
  const to = status.previous.version;
  button.addEventListener('click', () => {
    const question = `Roll the ${status.set} feature set back from version ${from} to version ${to}? Readers switch to version ${to} at once; rolling back again undoes it.`;
    if (!window.confirm(question)) return;
    void rollBack(status.set, button);
  });
  return button;
}

function paintSets(sets: FeatureSetStatus[] | null, problem?: string): void {
  setsTable.dataset.stale = 'false';
  if (sets === null) {
    setsRows.replaceChildren(...(problem ? [emptyRow(SET_COLUMNS, problem)] : []));
    return;
  }
  if (sets.every((status) => status.live === null)) {
    setsRows.replaceChildren(
      emptyRow(
        SET_COLUMNS,
        'No feature set published yet: the feature jobs run every 15 minutes once views arrive; come back after the next run.',
      ),
    );
    return;
  }
  setsRows.replaceChildren(
    ...sets.map((status) => {
      const tr = document.createElement('tr');
      tr.dataset.set = status.set;
      const { live, previous, freshnessSeconds } = status;
      const stale = freshnessSeconds !== null && freshnessSeconds > STALE_AFTER_SECONDS;
      const freshness = cell(
        freshnessSeconds === null ? 'no source views' : formatAge(freshnessSeconds),
        { column: 'freshness', stale: String(stale) },
        stale ? 'warn' : undefined,
      );
      if (stale) freshness.title = 'Older than an hour: check the feature jobs (analytics logs, /metrics)';
      const action = cell('', { column: 'rollback' });
      action.append(rollbackButton(status));
      tr.append(
        cell(status.set, { column: 'set' }),
        cell(live === null ? 'not published yet' : `v${live.version}`, { column: 'live' }, 'number'),
        cell(
          orDash(live?.rows, (v) => integer.format(v)),
          { column: 'rows' },
          'number',
        ),
        cell(orDash(live?.bytes, formatBytes), { column: 'size' }, 'number'),
        cell(live === null ? '—' : new Date(live.publishedAt).toLocaleString(), { column: 'published' }),
        freshness,
        cell(previous === null ? '—' : `v${previous.version}`, { column: 'previous' }, 'number'),
        action,
      );
      return tr;
    }),
  );
}

function paintHealth(health: RecommendationHealth | null, problem?: string): void {
  for (const table of [cards, clickTable, qoeTable]) table.dataset.stale = 'false';
  const coverage = health?.coverage;
  const values: [string, number | null | undefined, (v: number) => string][] = [
    ['coverage', coverage?.coverage, formatRatio],
    ['impressions', coverage?.impressions, (v) => integer.format(v)],
    ['viewers-shown', coverage?.viewersShown, (v) => integer.format(v)],
  ];
  for (const [name, value, format] of values) {
    const element = $(`[data-metric="${name}"]`);
    element.dataset.value = value === null || value === undefined ? '' : String(value);
    element.textContent = orDash(value, format);
  }
  $('#coverage-detail').textContent = coverage
    ? `${integer.format(coverage.recommendedTitles)} of ${integer.format(coverage.catalogTitles)} recommendable titles shown`
    : 'recommendable titles shown at least once';

  if (health === null) {
    clickRows.replaceChildren(...(problem ? [emptyRow(CLICK_COLUMNS, problem)] : []));
    qoeRows.replaceChildren();
    return;
  }
  if (health.coverage.impressions === 0 && health.clickThrough.every((row) => row.clicks === 0)) {
    clickRows.replaceChildren(
      emptyRow(
        CLICK_COLUMNS,
        'No recommendations shown in this range: a player with "Up next" reports what it shows and what is clicked. Widen the range, or check that the player shows recommendations.',
      ),
    );
  } else {
    clickRows.replaceChildren(
      ...health.clickThrough.map((row) => {
        const tr = document.createElement('tr');
        tr.dataset.reason = row.reason;
        tr.append(
          cell(REASON_LABELS[row.reason] ?? row.reason, { column: 'reason' }),
          cell(integer.format(row.impressions), { column: 'impressions' }, 'number'),
          cell(integer.format(row.clicks), { column: 'clicks' }, 'number'),
          cell(orDash(row.clickThroughRate, formatRatio), { column: 'ctr' }, 'number'),
        );
        return tr;
      }),
    );
  }

  const groups = [
    { name: 'recommended', label: 'From a recommendation', qoe: health.qoe.recommended },
    { name: 'other', label: 'Any other way', qoe: health.qoe.other },
  ];
  if (groups.every((group) => group.qoe.views === 0)) {
    qoeRows.replaceChildren(emptyRow(QOE_COLUMNS, 'No views started in this range.'));
    return;
  }
  qoeRows.replaceChildren(
    ...groups.map(({ name, label, qoe }) => {
      const tr = document.createElement('tr');
      tr.dataset.group = name;
      tr.append(
        cell(label, { column: 'group' }),
        cell(integer.format(qoe.views), { column: 'views' }, 'number'),
        cell(orDash(qoe.startupTimeMs.p50, formatMs), { column: 'startup-p50' }, 'number'),
        cell(orDash(qoe.startupTimeMs.p90, formatMs), { column: 'startup-p90' }, 'number'),
        cell(orDash(qoe.rebufferRatio, formatRatio), { column: 'rebuffer-ratio' }, 'number'),
        cell(
          orDash(qoe.videoStartFailurePercent, (v) => `${v.toFixed(2)} %`),
          { column: 'start-failures' },
          'number',
        ),
      );
      return tr;
    }),
  );
}

function clear(): void {
  paintSets(null);
  paintHealth(null);
  showRollback('', '');
}

async function load(): Promise<void> {
  const range = picker.read();
  if ('error' in range) return frame.setStatus('error', range.error);
  frame.writeUrl({ ...picker.urlParams() });
  const mine = frame.nextGeneration();
  for (const table of [setsTable, cards, clickTable, qoeTable]) table.dataset.stale = 'true';
  frame.setStatus('loading', 'Loading…');
  const [sets, health] = await Promise.allSettled([
    frame.api.featureStatus(),
    frame.api.recommendationHealth({ ...range, synthetic: frame.scope() }),
  ]);
  if (!frame.isCurrent(mine)) return;
  if (sets.status === 'fulfilled') paintSets(sets.value.sets);
  else paintSets(null, `Could not load the feature sets: ${errorText(sets.reason)}`);
  if (health.status === 'fulfilled') {
    paintHealth(health.value);
    frame.paintScope(health.value.synthetic);
  } else paintHealth(null, `Could not load the recommendation numbers: ${errorText(health.reason)}`);

  const failed = [sets, health].find((result) => result.status === 'rejected');
  if (failed) return frame.showError(failed.reason);
  const shown = health.status === 'fulfilled' && health.value.coverage.impressions > 0;
  frame.setStatus(
    shown ? 'ready' : 'empty',
    shown
      ? `Updated ${new Date().toLocaleTimeString()} · ${new Date(range.from).toLocaleString()} – ${new Date(range.to).toLocaleString()}`
      : 'No recommendations shown in this range yet.',
  );
}

async function rollBack(set: FeatureSetName, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  showRollback('', '');
  try {
    const after = await frame.api.rollbackFeatureSet(set);
    showRollback(
      'ok',
      `Rolled back: ${set} version ${after.live?.version ?? '—'} is live again (version ${after.previous?.version ?? '—'} is now the previous one).`,
    );
  } catch (err) {
    const why =
      err instanceof ApiError && err.status === 403
        ? `${err.message}. Roll back needs an API key with the manage scope.`
        : err instanceof ApiError && err.status === 409
          ? err.message
          : errorText(err);
    showRollback('error', `Not rolled back: ${why}`);
  }
  // Either way the table shows what is live now.
  await load();
}

const frame = startFrame({
  needKey: 'Enter the API key (scope analytics-read; manage to roll back) to see the feature sets.',
  onKey: () => void load(),
  onForget: clear,
  onScope: () => void load(),
});
const picker = startRangePicker(() => void load());

$<HTMLFormElement>('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
