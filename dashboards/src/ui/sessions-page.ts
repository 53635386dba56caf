/**
 * `/dashboards/sessions` (Views): the views for the current filter, worst QoE score first (`?sort=`
 * newest for the latest), one row each, each linking to its timeline. A simulated viewer's row is
 * marked as such and shows its cohort and network class, so it can never pass for a person's. One
 * viewer's data: the key needs the 'analytics-views' scope, and a list from fewer viewers than the
 * privacy floor is withheld whole.
 */
import type { ApiClient, QoeParams, SessionRow, SessionsAnswer } from './api-client.js';
import { cell, emptyRow } from './dom.js';
import { formatDuration, formatMs, integer, orDash } from './format.js';
import { $, type LoadResult, startPage } from './page-shell.js';

const COLUMN_COUNT = 12;
const SORTS = ['worst', 'newest'] as const;
type Sort = (typeof SORTS)[number];
const sortSelect = $<HTMLSelectElement>('#sort');
const sortFromUrl = new URLSearchParams(location.search).get('sort');
sortSelect.value = SORTS.find((sort) => sort === sortFromUrl) ?? 'worst';
const sort = (): Sort => (sortSelect.value === 'newest' ? 'newest' : 'worst');
const table = $('#sessions');
const rows = $('#sessions-rows');
const more = $('#sessions-truncated');

function viewerCell(view: SessionRow): HTMLTableCellElement {
  const td = cell(view.viewerId, { column: 'viewer' });
  if (view.synthetic === true) {
    const badge = document.createElement('span');
    badge.className = 'badge synthetic';
    badge.textContent = 'Simulated';
    badge.title = 'A synthetic (simulated) viewer, not a person';
    td.prepend(badge, ' ');
  }
  return td;
}

/** A link to the view's timeline, for the scope the list was read in. */
function timelineCell(view: SessionRow): HTMLTableCellElement {
  const td = cell('', { column: 'timeline' });
  const link = document.createElement('a');
  const target = new URL('view', location.href);
  target.search = '';
  target.searchParams.set('sessionId', view.sessionId);
  const scope = new URLSearchParams(location.search).get('synthetic');
  if (scope) target.searchParams.set('synthetic', scope);
  link.href = target.href;
  link.textContent = 'Timeline';
  link.setAttribute(
    'aria-label',
    `Timeline of the view of ${view.viewerId} started ${new Date(view.startedAtMs).toLocaleString()}`,
  );
  td.append(link);
  return td;
}

function paint(answer: SessionsAnswer | null): void {
  table.dataset.stale = 'false';
  more.hidden = !answer?.truncated;
  if (answer === null) {
    rows.replaceChildren();
    return;
  }
  if (answer.privacy.suppressed) {
    rows.replaceChildren(emptyRow(COLUMN_COUNT, withheld(answer.privacy.minViewers)));
    return;
  }
  if (answer.views.length === 0) {
    rows.replaceChildren(emptyRow(COLUMN_COUNT, 'No views in this range.'));
    return;
  }
  rows.replaceChildren(
    ...answer.views.map((view) => {
      const tr = document.createElement('tr');
      tr.dataset.viewId = view.viewId;
      tr.dataset.synthetic = String(view.synthetic === true);
      if (view.synthetic === true) tr.className = 'synthetic';
      const device = [view.browser, view.os, view.deviceClass].filter((part) => part !== '').join(' · ');
      tr.append(
        cell(new Date(view.startedAtMs).toLocaleString(), { column: 'started' }),
        cell(
          orDash(view.qoeScore, (score) => score.toFixed(1)),
          { column: 'qoe' },
          'number',
        ),
        viewerCell(view),
        cell(view.cohort || '—', { column: 'cohort' }),
        cell(view.networkClass || '—', { column: 'network-class' }),
        cell(view.videoId, { column: 'video' }),
        cell(device || 'unknown', { column: 'device' }),
        cell(orDash(view.startupTimeMs, formatMs), { column: 'startup' }, 'number'),
        cell(formatDuration(view.watchTimeMs), { column: 'watch-time' }, 'number'),
        cell(
          view.rebufferCount === 0
            ? '0'
            : `${integer.format(view.rebufferCount)} (${formatDuration(view.rebufferTimeMs)})`,
          { column: 'stalls' },
          'number',
        ),
        cell(integer.format(view.errors), { column: 'errors' }, 'number'),
        timelineCell(view),
      );
      return tr;
    }),
  );
}

const withheld = (minViewers: number) =>
  `Fewer than ${minViewers} viewers match: the list is hidden so no one can be singled out. Widen the range or remove a filter.`;

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const answer = await api.sessions({ ...params, sort: sort() });
  paint(answer);
  if (answer.privacy.suppressed)
    return { state: 'empty', message: withheld(answer.privacy.minViewers), scope: answer.synthetic };
  if (answer.views.length === 0)
    return { state: 'empty', message: 'No views yet in this range.', scope: answer.synthetic };
  const simulated = answer.views.filter((view) => view.synthetic === true).length;
  return {
    state: 'ready',
    message: `${answer.views.length} ${answer.views.length === 1 ? 'view' : 'views'}${simulated > 0 ? `, ${simulated} simulated` : ''} · updated ${new Date().toLocaleTimeString()}`,
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
  writeUrl: (params) => params.set('sort', sort()),
});
sortSelect.addEventListener('change', () => shell.reload());
