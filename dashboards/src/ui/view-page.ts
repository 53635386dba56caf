/**
 * `/dashboards/view?sessionId=…`: one view's timeline, opened from the sessions list. Its beacons
 * (`GET /api/v1/qoe/sessions/:sessionId/beacons`, for the viewer scope picked) as the player's
 * context, a bitrate line (charts.ts, uPlot) over the seconds of the view, every event worth reading
 * in order (startup, stalls, seeks, rendition switches, errors: view-timeline.ts) and the requests the
 * origin saw with their CMCD.
 */
import type { SessionBeaconsResponse } from '@streamloop/core/schemas/qoe-api';
import { createChart } from './charts.js';
import { cell, emptyRow } from './dom.js';
import { formatKbps, integer, orDash } from './format.js';
import { $, startFrame } from './page-shell.js';
import { buildTimeline } from './view-timeline.js';

const sessionId = new URLSearchParams(location.search).get('sessionId') ?? '';
const context = $('#view-context');
const eventsTable = $('#view-events');
const eventRows = $('#view-events-rows');
const cmcdRows = $('#view-cmcd-rows');
const chart = createChart($('#view-chart'), [{ label: 'Bitrate', colour: '--accent' }], {
  syncKey: 'view',
  format: formatKbps,
  fromZero: true,
});

function paintContext(answer: SessionBeaconsResponse | null): void {
  const first = answer?.beacons.find((b) => (b.source ?? 'sdk') === 'sdk');
  if (!first) {
    context.replaceChildren();
    return;
  }
  const facts: [string, string][] = [
    ['Session', answer!.sessionId],
    ['Video', first.videoId],
    ['Viewer', `${first.viewerId}${first.synthetic ? ' (simulated)' : ''}`],
    [
      'Device',
      [first.context?.browser, first.context?.os, first.context?.deviceClass].filter(Boolean).join(' · ') ||
        'unknown',
    ],
    ['Player', [first.playerName, first.playerVersion].filter(Boolean).join(' ') || 'unknown'],
    ['SDK', first.sdkVersion ?? 'unknown'],
  ];
  context.replaceChildren(
    ...facts.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dd.dataset.fact = term.toLowerCase();
      return [dt, dd];
    }),
  );
}

function paint(answer: SessionBeaconsResponse | null): void {
  eventsTable.dataset.stale = 'false';
  paintContext(answer);
  if (answer === null) {
    eventRows.replaceChildren();
    cmcdRows.replaceChildren();
    chart.clear();
    return;
  }
  const timeline = buildTimeline(answer.beacons);
  eventRows.replaceChildren(
    ...(timeline.rows.length === 0
      ? [emptyRow(3, 'No player events in this session.')]
      : timeline.rows.map((row) => {
          const tr = document.createElement('tr');
          tr.dataset.event = row.event;
          if (row.tone === 'bad') tr.className = 'bad';
          tr.append(
            cell(`${row.atSec.toFixed(1)} s`, { column: 'at' }, 'number'),
            cell(row.event, { column: 'event' }),
            cell(row.detail, { column: 'detail' }),
          );
          return tr;
        })),
  );
  cmcdRows.replaceChildren(
    ...(timeline.cmcd.length === 0
      ? [emptyRow(5, 'No CMCD requests reached the origin for this session.')]
      : timeline.cmcd.map((request) => {
          const tr = document.createElement('tr');
          tr.append(
            cell(`${request.atSec.toFixed(1)} s`, {}, 'number'),
            cell(request.objectType || '—'),
            cell(orDash(request.bitrateKbps, formatKbps), {}, 'number'),
            cell(
              orDash(request.bufferMs, (ms) => `${integer.format(ms)} ms`),
              {},
              'number',
            ),
            cell(orDash(request.throughputKbps, formatKbps), {}, 'number'),
          );
          return tr;
        })),
  );
  if (timeline.bitrate.atSec.length === 0) chart.clear();
  else
    chart.paint(
      [timeline.bitrate.atSec, timeline.bitrate.kbps],
      `Bitrate over the view: ${timeline.bitrate.kbps.map((k) => (k === null ? '—' : formatKbps(k))).join(', ')}.`,
    );
}

async function load(): Promise<void> {
  frame.writeUrl({ sessionId });
  if (sessionId === '') {
    paint(null);
    frame.setStatus('error', 'No session picked: open a view from the Sessions page.');
    return;
  }
  const mine = frame.nextGeneration();
  eventsTable.dataset.stale = 'true';
  frame.setStatus('loading', 'Loading the view…');
  try {
    const answer = await frame.api.sessionBeacons(sessionId, frame.scope());
    if (!frame.isCurrent(mine)) return;
    paint(answer);
    frame.paintScope(answer.synthetic);
    frame.setStatus('ready', `${answer.beacons.length} beacons · updated ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    if (!frame.isCurrent(mine)) return;
    paint(null);
    frame.showError(err);
  }
}

const frame = startFrame({
  needKey: 'Enter the API key (scope analytics-read) to see this view.',
  onKey: () => void load(),
  onForget: () => paint(null),
  onScope: () => void load(),
});
