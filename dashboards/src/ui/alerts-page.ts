/**
 * `/dashboards/alerts`: analytics' QoE alert rules (`GET /api/v1/alerts/rules`) with their state and
 * last reading, a form to create one (`POST`, scope 'manage'; the API's 4xx is shown in its words
 * beside the form), a Delete per rule (`DELETE /api/v1/alerts/rules/:id`, after a confirmation), and
 * the rules' events, newest first (`GET /api/v1/alerts/events`), for every rule or the one in `?ruleId=`.
 * The two halves load side by side; one failing leaves the other on screen.
 *
 * Rules count real viewers only (analytics' alert job), so the viewer scope has nothing to change
 * here: it only travels with the links to the other pages.
 */
import {
  type AlertEvent,
  type AlertMetric,
  type AlertRule,
  ApiError,
  type CreateAlertRuleBody,
} from './api-client.js';
import { cell, emptyRow } from './dom.js';
import { formatMs, formatRatio, integer } from './format.js';
import { $, startFrame } from './page-shell.js';

const RULE_COLUMNS = 7;
const EVENT_COLUMNS = 7;
/** The events listed: the API's default page, newest first. */
const EVENTS_LIMIT = 50;

interface MetricView {
  /** Core's ALERT_METRICS label (the test holds the two together). */
  label: string;
  /** What the threshold field is in, beside its label. */
  unit: string;
  /** Core's ALERT_METRICS description of the metric. */
  describe: string;
  /** A value of the metric (a threshold, a reading) in words. */
  format(value: number): string;
}

// Spelt here, typed by core: core's schemas/alerts module builds TypeBox schemas when it loads, so
// importing ALERT_METRICS would put TypeBox into the page's bundle.
const METRICS: Readonly<Record<AlertMetric, MetricView>> = {
  videoStartFailurePercent: {
    label: 'Video start failure %',
    unit: '(%)',
    describe: 'of the plays, a fatal error before the first frame (× 100)',
    format: (v) => `${v.toFixed(2)} %`,
  },
  rebufferRatio: {
    label: 'Rebuffer ratio',
    unit: '(a fraction: 0.02 = 2 %)',
    describe: 'CTA-2066: stall time / (stall + play time), a fraction (0.02 = 2 %)',
    // A fraction, shown as the percent it is.
    format: formatRatio,
  },
  startupTimeP95Ms: {
    label: 'Startup p95',
    unit: '(ms)',
    describe: 'play request → first frame, 95th percentile over the plays that started (ms)',
    format: formatMs,
  },
};
const METRIC_NAMES = Object.keys(METRICS) as AlertMetric[];

const rulesTable = $('#alert-rules');
const rulesRows = $('#alert-rules-rows');
const ruleResult = $('#rule-result');
const eventsTable = $('#alert-events');
const eventsRows = $('#alert-events-rows');
const eventsRule = $<HTMLSelectElement>('#events-rule');
const form = $<HTMLFormElement>('#new-rule');
const formError = $('#rule-form-error');
const createButton = $<HTMLButtonElement>('#rule-create');
const nameInput = $<HTMLInputElement>('#rule-name');
const metricSelect = $<HTMLSelectElement>('#rule-metric');
const thresholdInput = $<HTMLInputElement>('#rule-threshold');
const videoInput = $<HTMLInputElement>('#rule-video');
const windowInput = $<HTMLInputElement>('#rule-window');
const minPlaysInput = $<HTMLInputElement>('#rule-min-plays');
const cooldownInput = $<HTMLInputElement>('#rule-cooldown');

/** The rule whose events are listed ('' for every rule): `?ruleId=` in the page URL. */
let ruleId = new URLSearchParams(location.search).get('ruleId') ?? '';
let shownRules: AlertRule[] = [];

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const formatTime = (iso: string) => new Date(iso).toLocaleString();
const metricOf = (metric: AlertMetric): MetricView =>
  METRICS[metric] ?? { label: metric, unit: '', describe: '', format: String };
const minutes = (n: number) => `${integer.format(n)} min`;

function showRuleResult(state: 'ok' | 'error' | '', text: string): void {
  ruleResult.dataset.state = state;
  ruleResult.textContent = text;
  ruleResult.hidden = text === '';
}

function showFormError(text: string): void {
  formError.textContent = text;
  formError.hidden = text === '';
}

/** Why a create or delete was refused, in words: a 403 says which scope the key lacks. */
function refusal(err: unknown): string {
  if (err instanceof ApiError && err.status === 403)
    return `${err.message}. Creating and deleting alert rules needs an API key with the manage scope.`;
  if (err instanceof ApiError && err.status === 401)
    return `${err.message}. Check the key (STREAMLOOP_API_KEY) and enter it again.`;
  return errorText(err);
}

/** A cell of short lines: table cells do not wrap, and the rules table has many columns. */
function linesCell(lines: string[], data: Record<string, string>, className?: string): HTMLTableCellElement {
  const td = cell('', data, className);
  lines.forEach((line, i) => {
    if (i > 0) td.append(document.createElement('br'));
    td.append(line);
  });
  return td;
}

function stateCell(rule: AlertRule): HTMLTableCellElement {
  const firing = rule.state === 'firing';
  // The word carries the state; the colour only repeats it.
  const td = linesCell(
    [firing ? 'FIRING' : 'OK', `since ${formatTime(rule.stateSince)}`],
    { column: 'state', state: rule.state },
    firing ? 'guardrail breached' : 'guardrail ok',
  );
  if (rule.lastFiredAt !== null && !firing) td.title = `Last fired ${formatTime(rule.lastFiredAt)}`;
  return td;
}

function readingCell(rule: AlertRule): HTMLTableCellElement {
  const { format } = metricOf(rule.metric);
  if (rule.lastCheckedAt === null) return cell('not checked yet', { column: 'last-value' }, 'number');
  const td = cell(rule.lastValue === null ? '—' : format(rule.lastValue), { column: 'last-value' }, 'number');
  td.title =
    rule.lastValue === null
      ? `No plays in the window at ${formatTime(rule.lastCheckedAt)}`
      : `Checked ${formatTime(rule.lastCheckedAt)}`;
  return td;
}

function ruleButton(
  text: string,
  label: string,
  onClick: (button: HTMLButtonElement) => void,
): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = text;
  // The rule's name in what a screen reader announces: every row has the same two buttons.
  button.setAttribute('aria-label', label);
  button.addEventListener('click', () => onClick(button));
  return button;
}

function paintRules(rules: AlertRule[] | null, problem?: string): void {
  rulesTable.dataset.stale = 'false';
  shownRules = rules ?? [];
  paintRuleFilter(rules !== null);
  if (rules === null) {
    rulesRows.replaceChildren(...(problem ? [emptyRow(RULE_COLUMNS, problem)] : []));
    return;
  }
  if (rules.length === 0) {
    rulesRows.replaceChildren(emptyRow(RULE_COLUMNS, 'No alert rules yet: create one below.'));
    return;
  }
  rulesRows.replaceChildren(
    ...rules.map((rule) => {
      const { label, format } = metricOf(rule.metric);
      const tr = document.createElement('tr');
      tr.dataset.ruleId = rule.id;
      tr.dataset.state = rule.state;
      const actions = cell('', { column: 'actions' });
      actions.append(
        ruleButton('Events', `Show the events of ${rule.name}`, () => {
          eventsRule.value = rule.id;
          ruleId = rule.id;
          void load();
        }),
        // One above the other: the row is three lines tall already, and the table is wide.
        document.createElement('br'),
        ruleButton('Delete', `Delete ${rule.name}`, (button) => {
          const question = `Delete the alert rule "${rule.name}"? Its events are deleted with it.`;
          if (!window.confirm(question)) return;
          void deleteRule(rule, button);
        }),
      );
      tr.append(
        cell(rule.name, { column: 'name' }),
        stateCell(rule),
        readingCell(rule),
        cell(rule.lastPlays === null ? '—' : integer.format(rule.lastPlays), { column: 'plays' }, 'number'),
        linesCell(
          [
            label,
            `above ${format(rule.threshold)}`,
            rule.videoId === null ? 'on all videos' : `on video ${rule.videoId}`,
          ],
          { column: 'condition', videos: rule.videoId ?? '' },
        ),
        linesCell(
          [
            `${minutes(rule.windowMinutes)} window`,
            `at least ${integer.format(rule.minPlays)} ${rule.minPlays === 1 ? 'play' : 'plays'}`,
            rule.cooldownMinutes === 0 ? 'no cool-down' : `${minutes(rule.cooldownMinutes)} cool-down`,
          ],
          { column: 'checks' },
        ),
        actions,
      );
      return tr;
    }),
  );
}

/** The events' rule picker: every rule by name, and the URL's rule even when it is not (or no longer) one. */
function paintRuleFilter(known: boolean): void {
  const options = [new Option('All rules', ''), ...shownRules.map((rule) => new Option(rule.name, rule.id))];
  if (ruleId && !shownRules.some((rule) => rule.id === ruleId)) {
    options.push(new Option(known ? `${ruleId} (no such rule)` : ruleId, ruleId));
  }
  eventsRule.replaceChildren(...options);
  eventsRule.value = ruleId;
}

function deliveryCell(event: AlertEvent): HTMLTableCellElement {
  const attempts = (n: number) => `${n} ${n === 1 ? 'attempt' : 'attempts'}`;
  const error = event.deliveryError ?? 'no reason given';
  switch (event.delivery) {
    case 'sent':
      return cell(event.deliveryAttempts > 1 ? `Sent (after ${attempts(event.deliveryAttempts)})` : 'Sent', {
        column: 'delivery',
        delivery: 'sent',
      });
    case 'pending':
      return cell(
        event.deliveryAttempts === 0
          ? 'Pending (sent by the next check)'
          : `Pending (retrying after ${attempts(event.deliveryAttempts)} failed: ${error})`,
        { column: 'delivery', delivery: 'pending' },
        'warn',
      );
    case 'failed':
      return cell(
        `Failed after ${attempts(event.deliveryAttempts)}: ${error}`,
        { column: 'delivery', delivery: 'failed' },
        'verdict worse',
      );
    default:
      return cell('Not configured (no webhook: shown here only)', {
        column: 'delivery',
        delivery: event.delivery,
      });
  }
}

function paintEvents(events: AlertEvent[] | null, problem?: string): void {
  eventsTable.dataset.stale = 'false';
  if (events === null) {
    eventsRows.replaceChildren(...(problem ? [emptyRow(EVENT_COLUMNS, problem)] : []));
    return;
  }
  if (events.length === 0) {
    eventsRows.replaceChildren(
      emptyRow(
        EVENT_COLUMNS,
        ruleId
          ? 'No events for this rule yet: it has neither fired nor resolved.'
          : 'No alert events yet: a rule fires once its metric is above the threshold over its window.',
      ),
    );
    return;
  }
  eventsRows.replaceChildren(
    ...events.map((event) => {
      const { format } = metricOf(event.metric);
      const firing = event.kind === 'firing';
      const tr = document.createElement('tr');
      tr.dataset.eventId = event.id;
      tr.dataset.ruleId = event.ruleId;
      tr.dataset.kind = event.kind;
      const value = cell(format(event.value), { column: 'value' }, 'number');
      value.title = `over the ${minutes(event.windowMinutes)} before`;
      tr.append(
        cell(formatTime(event.at), { column: 'time' }),
        cell(event.ruleName, { column: 'rule' }),
        cell(
          firing ? 'Firing' : 'Resolved',
          { column: 'kind' },
          firing ? 'guardrail breached' : 'guardrail ok',
        ),
        value,
        cell(format(event.threshold), { column: 'threshold' }, 'number'),
        cell(integer.format(event.plays), { column: 'plays' }, 'number'),
        deliveryCell(event),
      );
      return tr;
    }),
  );
}

function clear(): void {
  paintRules(null);
  paintEvents(null);
  showRuleResult('', '');
  showFormError('');
}

function writeUrl(): void {
  frame.writeUrl({}, (params) => {
    if (ruleId) params.set('ruleId', ruleId);
    else params.delete('ruleId');
  });
}

async function load(): Promise<void> {
  writeUrl();
  const mine = frame.nextGeneration();
  for (const table of [rulesTable, eventsTable]) table.dataset.stale = 'true';
  frame.setStatus('loading', 'Loading alert rules…');
  const [rules, events] = await Promise.allSettled([
    frame.api.alertRules(),
    frame.api.alertEvents({ limit: EVENTS_LIMIT, ...(ruleId ? { ruleId } : {}) }),
  ]);
  if (!frame.isCurrent(mine)) return;
  if (rules.status === 'fulfilled') paintRules(rules.value);
  else paintRules(null, `Could not load the alert rules: ${errorText(rules.reason)}`);
  if (events.status === 'fulfilled') paintEvents(events.value);
  else paintEvents(null, `Could not load the alert events: ${errorText(events.reason)}`);

  const failed = [rules, events].find((result) => result.status === 'rejected');
  if (failed) return frame.showError(failed.reason);
  const all = rules.status === 'fulfilled' ? rules.value : [];
  if (all.length === 0) return frame.setStatus('empty', 'No alert rules yet: create one below.');
  const firing = all.filter((rule) => rule.state === 'firing').length;
  frame.setStatus(
    'ready',
    `${all.length} ${all.length === 1 ? 'rule' : 'rules'}, ${firing} firing · updated ${new Date().toLocaleTimeString()}`,
  );
}

/** An optional whole number field: absent when empty (the API's default), the number otherwise. */
function optionalNumber(input: HTMLInputElement): number | undefined {
  return input.value.trim() === '' ? undefined : Number(input.value);
}

/** The body the form describes, or what is missing before the API can judge it. */
function readForm(): CreateAlertRuleBody | { missing: string } {
  const name = nameInput.value.trim();
  if (!name) return { missing: 'Give the rule a name.' };
  const metric = METRIC_NAMES.find((m) => m === metricSelect.value);
  if (metric === undefined) return { missing: 'Pick a metric.' };
  // A number field holds '' for anything that is not a number.
  if (thresholdInput.value.trim() === '')
    return { missing: `Enter a threshold ${METRICS[metric].unit}: the rule fires above it.` };
  const videoId = videoInput.value.trim();
  const windowMinutes = optionalNumber(windowInput);
  const minPlays = optionalNumber(minPlaysInput);
  const cooldownMinutes = optionalNumber(cooldownInput);
  return {
    name,
    metric,
    threshold: Number(thresholdInput.value),
    ...(videoId ? { videoId } : {}),
    ...(windowMinutes === undefined ? {} : { windowMinutes }),
    ...(minPlays === undefined ? {} : { minPlays }),
    ...(cooldownMinutes === undefined ? {} : { cooldownMinutes }),
  };
}

async function createRule(): Promise<void> {
  showRuleResult('', '');
  const body = readForm();
  if ('missing' in body) {
    showFormError(body.missing);
    return;
  }
  showFormError('');
  createButton.disabled = true;
  try {
    const rule = await frame.api.createAlertRule(body);
    showRuleResult('ok', `Created "${rule.name}": analytics checks it within a minute.`);
    nameInput.value = '';
    thresholdInput.value = '';
  } catch (err) {
    // role="alert" reads it out; the focus stays where the person was.
    showFormError(`Not created: ${refusal(err)}`);
    return;
  } finally {
    createButton.disabled = false;
  }
  await load();
}

async function deleteRule(rule: AlertRule, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  showRuleResult('', '');
  try {
    await frame.api.deleteAlertRule(rule.id);
    showRuleResult('ok', `Deleted "${rule.name}" and its events.`);
    if (ruleId === rule.id) ruleId = '';
  } catch (err) {
    showRuleResult('error', `Not deleted: ${refusal(err)}`);
    button.disabled = false;
  }
  // Either way the table shows the rules there are now (a 404: someone deleted it already).
  await load();
}

function paintMetricHint(): void {
  const metric = METRICS[METRIC_NAMES.find((m) => m === metricSelect.value) ?? 'videoStartFailurePercent'];
  $('#rule-threshold-unit').textContent = metric.unit;
  $('#rule-metric-hint').textContent =
    `${metric.label}: ${metric.describe}. The rule fires above the threshold.`;
}

metricSelect.replaceChildren(...METRIC_NAMES.map((name) => new Option(METRICS[name].label, name)));
paintMetricHint();
metricSelect.addEventListener('change', paintMetricHint);

const frame = startFrame({
  needKey: 'Enter the API key (scope analytics-read; manage to create and delete rules) to see the alerts.',
  onKey: () => void load(),
  onForget: clear,
  onScope: writeUrl,
});
// Whatever scope the URL carries, the numbers here are real viewers': no simulated banner, no choice.
frame.paintScope('real');
const scopeSelect = $<HTMLSelectElement>('#scope');
scopeSelect.value = 'real';
scopeSelect.disabled = true;
scopeSelect.title = 'Alert rules count real viewers only';

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void createRule();
});
eventsRule.addEventListener('change', () => {
  ruleId = eventsRule.value;
  void load();
});
$<HTMLFormElement>('#events-filter').addEventListener('submit', (event) => event.preventDefault());
$<HTMLFormElement>('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
writeUrl();
