/**
 * `/dashboards/experiments`: every ladder experiment in the catalog (`GET /api/v1/experiments`), with
 * its status, arms, primary metric and guardrails; each links to its results page with the viewer
 * scope picked here.
 */
import type { Experiment } from './api-client.js';
import { cell, emptyRow } from './dom.js';
import { formatTime, metricLabel } from './experiment-view.js';
import { $, startFrame } from './page-shell.js';
import { writeScope } from './scope.js';

const COLUMN_COUNT = 7;
const table = $('#experiments');
const rows = $('#experiments-rows');
let shown: Experiment[] | null = null;

function armsText(experiment: Experiment): string {
  return experiment.arms
    .map((arm) => {
      const marks = [arm.control ? 'control' : '', arm.stopped ? 'stopped' : ''].filter(Boolean);
      const note = marks.length > 0 ? `, ${marks.join(', ')}` : '';
      return `${arm.name} (${arm.ladderId} v${arm.ladderVersion}, ${arm.trafficPercent} %${note})`;
    })
    .join('; ');
}

function paint(experiments: Experiment[] | null): void {
  shown = experiments;
  table.dataset.stale = 'false';
  if (experiments === null) {
    rows.replaceChildren();
    return;
  }
  if (experiments.length === 0) {
    rows.replaceChildren(
      emptyRow(COLUMN_COUNT, 'No experiments yet: define one with `npm run experiments`.'),
    );
    return;
  }
  rows.replaceChildren(
    ...experiments.map((experiment) => {
      const tr = document.createElement('tr');
      tr.dataset.experimentId = experiment.id;
      tr.dataset.status = experiment.status;
      const link = document.createElement('a');
      const target = new URLSearchParams({ id: experiment.id });
      writeScope(target, frame.scope());
      link.href = `experiment?${target}`;
      link.textContent = experiment.name;
      const name = cell('', { column: 'name' });
      name.append(link);
      tr.append(
        name,
        cell(experiment.status, { column: 'status' }, `status ${experiment.status}`),
        cell(armsText(experiment), { column: 'arms' }),
        cell(metricLabel(experiment.primaryMetric), { column: 'primary-metric' }),
        cell(
          experiment.guardrails.map((g) => `${metricLabel(g.metric)} (${g.marginPercent} %)`).join(', ') ||
            '—',
          { column: 'guardrails' },
        ),
        cell(experiment.startedAt ? formatTime(experiment.startedAt) : '—', { column: 'started' }),
        cell(experiment.stoppedAt ? formatTime(experiment.stoppedAt) : '—', { column: 'stopped' }),
      );
      return tr;
    }),
  );
}

async function load(): Promise<void> {
  frame.writeUrl({});
  const mine = frame.nextGeneration();
  table.dataset.stale = 'true';
  frame.setStatus('loading', 'Loading experiments…');
  try {
    const experiments = await frame.api.experiments();
    if (!frame.isCurrent(mine)) return;
    paint(experiments);
    if (experiments.length === 0) frame.setStatus('empty', 'No experiments yet.');
    else
      frame.setStatus(
        'ready',
        `${experiments.length} ${experiments.length === 1 ? 'experiment' : 'experiments'} · updated ${new Date().toLocaleTimeString()}`,
      );
  } catch (err) {
    if (!frame.isCurrent(mine)) return;
    paint(null);
    frame.showError(err);
  }
}

const frame = startFrame({
  needKey: 'Enter the API key (scope experiments) to see the experiments.',
  onKey: () => void load(),
  onForget: () => paint(null),
  // The list has no viewer numbers; the scope travels to each experiment's page.
  onScope: () => {
    frame.writeUrl({});
    if (shown) paint(shown);
  },
});

$<HTMLFormElement>('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
