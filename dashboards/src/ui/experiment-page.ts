/**
 * `/dashboards/experiment?id=`: one ladder experiment for encoding engineers — its arms side by side
 * (QoE, cost, serving state), each treatment arm against control with the always-valid test to decide
 * on, guardrails, the sample-ratio-mismatch check and the primary metric's p-value look by look.
 * Definition from ingest (`GET /api/v1/experiments/:id`), numbers from analytics (`…/results`).
 */
import type { Experiment, ExperimentResults } from './api-client.js';
import { cell, emptyRow } from './dom.js';
import {
  armState,
  fixedHorizonText,
  formatBits,
  formatInterval,
  formatLift,
  formatMetric,
  formatPValue,
  formatTime,
  formatUsd,
  guardrailsReportOnly,
  guardrailText,
  METRIC_ORDER,
  metricLabel,
  rungShares,
  significance,
  srmText,
  storageText,
  TIMELINE_MAX,
  timelineBar,
  viewsText,
} from './experiment-view.js';
import { integer } from './format.js';
import { $, startFrame } from './page-shell.js';

type Arm = ExperimentResults['arms'][number];

const panel = $('#experiment');
const armsHead = $('#arms-head');
const armsRows = $('#arms-rows');
const comparisons = $('#comparisons');
const guardrailRows = $('#guardrails-rows');
const guardrailsReportOnlyNote = $('#guardrails-report-only');
const timelineRows = $('#timeline-rows');
const srm = $('#srm');
const experimentId = new URLSearchParams(location.search).get('id') ?? '';

function header(text: string, data: Record<string, string> = {}): HTMLTableCellElement {
  const th = document.createElement('th');
  th.scope = 'col';
  th.textContent = text;
  for (const [name, value] of Object.entries(data)) th.dataset[name] = value;
  return th;
}

function rowHeader(text: string): HTMLTableCellElement {
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = text;
  return th;
}

function paintFacts(experiment: Experiment, results: ExperimentResults): void {
  $('#experiment-name').textContent = `${experiment.name} (${experiment.id})`;
  $('#experiment-hypothesis').textContent = experiment.hypothesis ?? '';
  panel.dataset.status = experiment.status;
  const facts: [string, string][] = [
    ['Status', experiment.status],
    ['Primary metric', metricLabel(experiment.primaryMetric)],
    ['Minimum sample', `${integer.format(experiment.minimumViewersPerArm)} viewers per arm`],
    ['Started', experiment.startedAt ? formatTime(experiment.startedAt) : 'not yet'],
    ['Stopped', experiment.stoppedAt ? formatTime(experiment.stoppedAt) : '—'],
    [
      'Counted',
      results.from && results.to
        ? `${formatTime(results.from)} – ${formatTime(results.to)}, a look every ${results.lookStepHours} h`
        : 'no looks yet',
    ],
    ['Significance level', `α = ${results.alpha}`],
    ['Egress price', `$${results.egressUsdPerGb} per GB`],
  ];
  if (results.unknownArmViews > 0)
    facts.push(['Views of unknown arms', `${integer.format(results.unknownArmViews)} (not counted)`]);
  $('#experiment-facts').replaceChildren(
    ...facts.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

/** Watch share per rung: a labelled bar per rung in each arm's cell. */
function rungShareRow(arms: readonly Arm[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.row = 'rung-share';
  tr.append(
    rowHeader('Watch share per rung'),
    ...arms.map((arm) => {
      const td = document.createElement('td');
      td.dataset.arm = arm.name;
      const shares = rungShares(arm);
      if (shares.length === 0) td.textContent = '—';
      for (const { label, percent } of shares) {
        const line = document.createElement('div');
        line.className = 'rung-share';
        const meter = document.createElement('meter');
        meter.min = 0;
        meter.max = 100;
        meter.value = percent;
        meter.setAttribute('aria-label', `${label}: ${percent} % of play time`);
        line.append(`${label} `, meter, ` ${percent} %`);
        td.append(line);
      }
      return td;
    }),
  );
  return tr;
}

/** One column per arm; rows are what an engineer compares across them. */
function paintArms(results: ExperimentResults): void {
  const arms = results.arms;
  armsHead.replaceChildren(
    header(''),
    ...arms.map((arm) => header(arm.control ? `${arm.name} (control)` : arm.name, { arm: arm.name })),
  );
  const row = (name: string, label: string, text: (arm: Arm) => string, data?: (arm: Arm) => string) => {
    const tr = document.createElement('tr');
    tr.dataset.row = name;
    tr.append(
      rowHeader(label),
      ...arms.map((arm) => {
        const td = cell(text(arm), { arm: arm.name }, 'number');
        if (data) td.dataset.state = data(arm);
        return td;
      }),
    );
    return tr;
  };
  const measured = METRIC_ORDER.filter((metric) => arms.some((arm) => metric in arm.metrics));
  armsRows.replaceChildren(
    row(
      'state',
      'Serving',
      (arm) => armState(arm, results.status).text,
      (arm) => armState(arm, results.status).state,
    ),
    row('traffic', 'Traffic split', (arm) => `${arm.trafficPercent} %`),
    row('views', 'Views', viewsText),
    row('viewers', 'Viewers', (arm) => integer.format(arm.viewers)),
    ...measured.map((metric) =>
      row(
        `metric-${metric}`,
        metric === results.primaryMetric ? `${metricLabel(metric)} (primary)` : metricLabel(metric),
        (arm) => formatMetric(metric, arm.metrics[metric]),
      ),
    ),
    row('bits-delivered', 'Bits delivered', (arm) => formatBits(arm.bitsDelivered)),
    row('egress-cost', 'Egress cost', (arm) => formatUsd(arm.egressCostUsd)),
    row('storage', 'Storage (videos in scope)', storageText),
    rungShareRow(arms),
    row('primary-mde', 'Detectable now (primary, 80 % power)', (arm) =>
      arm.primaryMde === null
        ? '—'
        : `${formatLift(arm.primaryMde.decrease)} / ${formatLift(arm.primaryMde.increase)}`,
    ),
  );
}

function paintComparisons(results: ExperimentResults): void {
  const treatments = results.arms.filter((arm) => !arm.control);
  comparisons.replaceChildren(
    ...treatments.map((arm) => {
      const section = document.createElement('section');
      section.dataset.arm = arm.name;
      const title = document.createElement('h3');
      title.textContent = `${arm.name} against control`;
      const table = document.createElement('table');
      table.className = 'table';
      const head = document.createElement('tr');
      head.append(
        ...[
          'Metric',
          'Control',
          arm.name,
          'Lift',
          'Always-valid interval',
          'Significance (always-valid)',
          'Fixed-horizon interval: one pre-planned look only',
        ].map((text) => header(text)),
      );
      const body = document.createElement('tbody');
      body.append(
        ...(arm.comparisons.length === 0
          ? [emptyRow(7, 'Nothing to compare yet.')]
          : arm.comparisons.map((c) => {
              const verdict = significance(c);
              const tr = document.createElement('tr');
              tr.dataset.metric = c.metric;
              tr.dataset.significance = verdict.state;
              tr.append(
                rowHeader(
                  c.metric === results.primaryMetric
                    ? `${metricLabel(c.metric)} (primary)`
                    : metricLabel(c.metric),
                ),
                cell(formatMetric(c.metric, c.control), { column: 'control' }, 'number'),
                cell(formatMetric(c.metric, c.treatment), { column: 'treatment' }, 'number'),
                cell(formatLift(c.relativeLift), { column: 'lift' }, 'number'),
                cell(formatInterval(c.alwaysValid.lower, c.alwaysValid.upper), { column: 'always-valid' }),
                cell(verdict.text, { column: 'significance' }, `verdict ${verdict.state}`),
                cell(fixedHorizonText(c), { column: 'fixed-horizon' }, 'muted'),
              );
              return tr;
            })),
      );
      const thead = document.createElement('thead');
      thead.append(head);
      table.append(thead, body);
      section.append(title, table);
      return section;
    }),
  );
}

function paintGuardrails(results: ExperimentResults): void {
  const rows = results.arms.flatMap((arm) =>
    arm.guardrails.map((g) => {
      const text = guardrailText(g);
      const tr = document.createElement('tr');
      tr.dataset.arm = arm.name;
      tr.dataset.metric = g.metric;
      tr.dataset.status = g.status;
      tr.append(
        cell(arm.name, { column: 'arm' }),
        cell(metricLabel(g.metric), { column: 'metric' }),
        cell(text.status, { column: 'status' }, `guardrail ${g.status}`),
        cell(text.harm, { column: 'harm' }),
      );
      return tr;
    }),
  );
  guardrailRows.replaceChildren(...(rows.length > 0 ? rows : [emptyRow(4, 'No guardrails set.')]));
  const reportOnly = guardrailsReportOnly(results);
  guardrailsReportOnlyNote.textContent = reportOnly ?? '';
  guardrailsReportOnlyNote.hidden = reportOnly === null;
}

function paintTimeline(results: ExperimentResults): void {
  const alphaBar = timelineBar(results.alpha);
  const rows = results.primaryTimeline.map((point) => {
    const tr = document.createElement('tr');
    tr.dataset.arm = point.arm;
    tr.dataset.at = point.at;
    const below = point.pValue !== null && point.pValue <= results.alpha;
    const meter = document.createElement('meter');
    meter.min = 0;
    meter.max = TIMELINE_MAX;
    meter.high = alphaBar;
    meter.value = timelineBar(point.pValue);
    meter.setAttribute('aria-label', `−log10 p = ${meter.value.toFixed(1)}; α is at ${alphaBar.toFixed(1)}`);
    const bar = cell('', { column: 'bar' });
    bar.append(meter);
    tr.append(
      cell(formatTime(point.at), { column: 'at' }),
      cell(point.arm, { column: 'arm' }),
      cell(formatPValue(point.pValue), { column: 'p-value', value: String(point.pValue ?? '') }, 'number'),
      bar,
      cell(point.pValue === null ? 'no look' : below ? 'yes: significant' : 'no', { column: 'significant' }),
    );
    return tr;
  });
  timelineRows.replaceChildren(...(rows.length > 0 ? rows : [emptyRow(5, 'No looks yet.')]));
}

function paintSrm(results: ExperimentResults): void {
  const text = srmText(
    results.sampleRatioMismatch,
    results.arms.map((arm) => arm.name),
  );
  srm.hidden = false;
  srm.dataset.flagged = String(text.flagged);
  srm.setAttribute('role', text.flagged ? 'alert' : 'status');
  srm.textContent = text.text;
}

function clear(): void {
  for (const element of [armsHead, armsRows, comparisons, guardrailRows, timelineRows])
    element.replaceChildren();
  $('#experiment-facts').replaceChildren();
  srm.hidden = true;
  srm.dataset.flagged = '';
}

const frame = startFrame({
  needKey: 'Enter the API key (scopes experiments and analytics-read) to see the experiment.',
  onKey: () => void load(),
  onForget: clear,
  onScope: () => void load(),
});

async function load(): Promise<void> {
  frame.writeUrl({}, (params) => params.set('id', experimentId));
  if (!experimentId) {
    clear();
    return frame.setStatus('error', 'No experiment named: open one from the experiments list.');
  }
  const mine = frame.nextGeneration();
  panel.dataset.stale = 'true';
  frame.setStatus('loading', 'Loading…');
  try {
    const [experiment, results] = await Promise.all([
      frame.api.experiment(experimentId),
      frame.api.experimentResults(experimentId, { synthetic: frame.scope() }),
    ]);
    if (!frame.isCurrent(mine)) return;
    panel.dataset.stale = 'false';
    paintFacts(experiment, results);
    paintSrm(results);
    paintArms(results);
    paintComparisons(results);
    paintGuardrails(results);
    paintTimeline(results);
    frame.paintScope(results.synthetic);
    const views = results.arms.reduce((sum, arm) => sum + arm.views, 0);
    const stoppedNow =
      results.armsStopped.length > 0 ? ` · guardrail stopped ${results.armsStopped.join(', ')} just now` : '';
    if (views === 0)
      frame.setStatus(
        'empty',
        frame.scope() === 'real'
          ? 'No views from real viewers yet (pick "Simulated" under Viewers for the simulator’s).'
          : 'No views yet.',
      );
    else frame.setStatus('ready', `Updated ${new Date().toLocaleTimeString()}${stoppedNow}`);
  } catch (err) {
    if (!frame.isCurrent(mine)) return;
    clear();
    frame.showError(err);
  }
}

$<HTMLFormElement>('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
