/**
 * `/dashboards/ladder?videoId=`: one title's per-title ladder for encoding engineers — the probe's
 * rate–quality hull with both ladders' rungs on it, the audience's throughput with the rungs over it,
 * watch share per rung (predicted and measured), bits per viewer-hour of both ladders and the storage
 * of the current one, constraints that re-plan, and "Open experiment" (current vs proposed).
 * Plan and experiment from ingest (`/api/v1/videos/:id/ladder-plan`), storage from `…/ladders`.
 * The constraints the person set are kept in the page URL, so a link shows the same plan.
 */
import { type ApiClient, ApiError, type ProposeLadderResponse, type VideoLadderList } from './api-client.js';
import { createXyChart } from './charts.js';
import { cell, emptyRow } from './dom.js';
import { formatBits } from './experiment-view.js';
import { formatBytes, formatKbps } from './format.js';
import { audienceChart, hullChart } from './ladder-charts.js';
import {
  audienceText,
  bitsRatioText,
  type ConstraintFields,
  constraintFields,
  constraintsQuery,
  formatShare,
  type LadderPlan,
  measuredShare,
  type PlanRung,
  proposeBody,
  qualityGainText,
  resolutionSeries,
} from './ladder-view.js';
import { $, startFrame } from './page-shell.js';

const CONSTRAINT_PARAMS = ['maxRungs', 'minBitrateKbps', 'maxBitrateKbps', 'dropBelowWatchShare'] as const;

const videoSelect = $<HTMLSelectElement>('#ladder-video');
const planBox = $('#plan');
const constraintsPanel = $('#constraints-panel');
const planError = $('#plan-error');
const constraintsForm = $<HTMLFormElement>('#constraints');
const constraintsError = $('#constraints-error');
const experimentResult = $('#experiment-result');
const openButton = $<HTMLButtonElement>('#open-experiment');
const charts = {
  hull: createXyChart($('#hull-chart'), { heightPx: 380, legend: $<HTMLElement>('#hull-legend') }),
  audience: createXyChart($('#audience-chart'), {
    heightPx: 200,
    legend: $<HTMLElement>('#audience-legend'),
  }),
};
const fields = {
  maxRungs: $<HTMLInputElement>('#max-rungs'),
  minBitrateKbps: $<HTMLInputElement>('#min-bitrate'),
  maxBitrateKbps: $<HTMLInputElement>('#max-bitrate'),
  dropBelowPercent: $<HTMLInputElement>('#drop-below'),
};

const fromUrl = new URLSearchParams(location.search);
let videoId = fromUrl.get('videoId') ?? '';
/** The constraints asked for (URL or form); the planner's defaults fill the rest. */
let query: Record<string, string> = Object.fromEntries(
  CONSTRAINT_PARAMS.flatMap((name) => {
    const value = fromUrl.get(name);
    return value === null || value === '' ? [] : [[name, value]];
  }),
);
/** The plan on screen, and the video it is of. */
let shown: { videoId: string; plan: LadderPlan } | null = null;

function readFields(): ConstraintFields {
  return {
    maxRungs: fields.maxRungs.value,
    minBitrateKbps: fields.minBitrateKbps.value,
    maxBitrateKbps: fields.maxBitrateKbps.value,
    dropBelowPercent: fields.dropBelowPercent.value,
  };
}

function writeFields(values: ConstraintFields): void {
  for (const name of Object.keys(fields) as (keyof ConstraintFields)[]) fields[name].value = values[name];
}

/** The URL's constraints on the form before the first plan says which it applied. */
function fieldsFromQuery(): void {
  const drop = query.dropBelowWatchShare;
  writeFields({
    maxRungs: query.maxRungs ?? '',
    minBitrateKbps: query.minBitrateKbps ?? '',
    maxBitrateKbps: query.maxBitrateKbps ?? '',
    dropBelowPercent:
      drop === undefined ? '' : Number.isFinite(Number(drop)) ? String(Number(drop) * 100) : drop,
  });
}

function showFormError(text: string): void {
  constraintsError.textContent = text;
  constraintsError.hidden = text === '';
}

function showExperimentResult(state: '' | 'busy' | 'ok' | 'error', ...content: (Node | string)[]): void {
  experimentResult.dataset.state = state;
  experimentResult.replaceChildren(...content);
  experimentResult.hidden = content.length === 0;
}

function showPlanError(status: number, text: string): void {
  planError.dataset.code = String(status);
  planError.textContent = text;
  planError.hidden = text === '';
}

function setMetric(id: string, text: string, value: string): void {
  const element = $(`#${id}`);
  element.textContent = text;
  element.dataset.value = value;
}

function clear(): void {
  shown = null;
  planBox.hidden = true;
  constraintsPanel.hidden = true;
  for (const id of ['#probe-rows', '#proposed-rows', '#current-rows', '#quantiles-rows'])
    $(id).replaceChildren();
  charts.hull.clear();
  charts.audience.clear();
  showExperimentResult('');
}

/** A watch share as a labelled bar and its percentage, or '—' when there is none. */
function shareCell(share: number | null, column: string, label: string): HTMLTableCellElement {
  const td = cell('', { column, value: share === null ? '' : String(share) });
  if (share === null) {
    td.textContent = '—';
    return td;
  }
  const meter = document.createElement('meter');
  meter.min = 0;
  meter.max = 1;
  meter.value = share;
  meter.setAttribute('aria-label', `${label}: ${formatShare(share)}`);
  td.append(meter, ` ${formatShare(share)}`);
  return td;
}

function rungRow(rung: PlanRung, index: number, measured?: { share: number | null }): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.rung = String(index);
  tr.dataset.height = String(rung.height);
  tr.dataset.bitrate = String(rung.bitrateKbps);
  const quality = `${rung.predictedQuality.toFixed(2)} dB${rung.qualityFrom === 'resolution-curve' ? ' (its resolution’s curve)' : ''}`;
  tr.append(
    cell(`${rung.width}×${rung.height}`, { column: 'rung' }),
    cell(formatKbps(rung.bitrateKbps), { column: 'bitrate', value: String(rung.bitrateKbps) }, 'number'),
    cell(quality, { column: 'quality' }, 'number'),
    shareCell(rung.predictedWatchShare, 'predicted-share', `${rung.height}p predicted`),
  );
  if (measured) tr.append(shareCell(measured.share, 'measured-share', `${rung.height}p measured`));
  tr.append(cell(formatBits(rung.expectedBitsPerViewerHour), { column: 'bits' }, 'number'));
  return tr;
}

function totalRow(ladder: LadderPlan['proposed'], columns: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.row = 'total';
  const label = cell(
    `Delivered: ${ladder.totals.expectedQuality.toFixed(2)} dB expected; ${formatShare(ladder.totals.stallShare)} of watch time below the lowest rung`,
    { column: 'total' },
    'muted',
  );
  label.colSpan = columns - 1;
  tr.append(label, cell(formatBits(ladder.totals.expectedBitsPerViewerHour), { column: 'bits' }, 'number'));
  return tr;
}

function paintRungs(plan: LadderPlan): void {
  $('#proposed-rows').replaceChildren(
    ...(plan.proposed.rungs.length === 0
      ? [emptyRow(5, 'No rung proposed.')]
      : [...plan.proposed.rungs.map((rung, i) => rungRow(rung, i)), totalRow(plan.proposed, 5)]),
  );
  const rungShare = plan.audience.rungShare;
  $('#current-rungs-title').textContent = `Current (${plan.current.id})`;
  $('#current-rows').replaceChildren(
    ...(plan.current.rungs.length === 0
      ? [emptyRow(6, 'The current ladder has no video rungs.')]
      : [
          ...plan.current.rungs.map((rung, i) =>
            rungRow(rung, i, { share: rungShare.length === 0 ? null : measuredShare(rung, rungShare) }),
          ),
          totalRow(plan.current, 6),
        ]),
  );
  $('#dropped').textContent =
    plan.dropped.length === 0
      ? `No rung dropped by the ${formatShare(plan.constraints.dropBelowWatchShare)} watch-share floor.`
      : `Dropped for an expected watch share under ${formatShare(plan.constraints.dropBelowWatchShare)}: ${plan.dropped
          .map((d) => `${d.height}p @ ${formatKbps(d.bitrateKbps)} (${formatShare(d.predictedWatchShare)})`)
          .join(', ')}.`;
}

function paintAudience(plan: LadderPlan): void {
  const { source, reference } = audienceText(plan.audience);
  const audience = $('#audience-source');
  audience.textContent = source;
  audience.dataset.source = plan.audience.source;
  audience.dataset.samples = String(plan.audience.samples);
  $('#reference-note').hidden = !reference;
  const q = plan.audience.throughputKbps;
  const row = document.createElement('tr');
  row.append(
    cell('Throughput', { column: 'label' }),
    ...(['p10', 'p25', 'p50', 'p75', 'p90'] as const).map((name) =>
      cell(formatKbps(q[name]), { column: name, value: String(q[name]) }, 'number'),
    ),
  );
  $('#quantiles-rows').replaceChildren(row);
  const { chart, label } = audienceChart(plan);
  charts.audience.paint(chart, label);
}

/** The hull chart, and its probe encodes as a table (what the canvas cannot tell a screen reader). */
function paintHull(plan: LadderPlan): void {
  const { chart, label } = hullChart(plan);
  charts.hull.paint(chart, label);
  $('#probe-rows').replaceChildren(
    ...resolutionSeries(plan.points).flatMap((series) =>
      series.points.map((p) => {
        const tr = document.createElement('tr');
        tr.dataset.height = String(p.height);
        tr.dataset.bitrate = String(p.bitrateKbps);
        tr.append(
          cell(`${p.width}×${p.height}`, { column: 'resolution' }),
          cell(formatKbps(p.bitrateKbps), { column: 'bitrate', value: String(p.bitrateKbps) }, 'number'),
          cell(p.psnrDb.toFixed(2), { column: 'psnr', value: String(p.psnrDb) }, 'number'),
          cell(p.ssim.toFixed(3), { column: 'ssim', value: String(p.ssim) }, 'number'),
          cell(p.onHull ? 'yes' : 'no', { column: 'hull' }),
        );
        return tr;
      }),
    ),
  );
}

function paintSummary(plan: LadderPlan, ladders: VideoLadderList | Error | null): void {
  setMetric('bits-ratio', bitsRatioText(plan.comparison.bitsRatio), String(plan.comparison.bitsRatio ?? ''));
  setMetric(
    'quality-gain',
    qualityGainText(plan.comparison.qualityGainDb),
    String(plan.comparison.qualityGainDb),
  );
  const perHour = (ladder: LadderPlan['proposed']) =>
    `${formatBits(ladder.totals.expectedBitsPerViewerHour)}/h`;
  setMetric('proposed-bits', perHour(plan.proposed), String(plan.proposed.totals.expectedBitsPerViewerHour));
  setMetric('current-bits', perHour(plan.current), String(plan.current.totals.expectedBitsPerViewerHour));
  $('#proposed-detail').textContent = `${plan.proposed.rungs.length} rungs, per viewer-hour`;
  $('#current-detail').textContent =
    `${plan.current.id}: ${plan.current.rungs.length} rungs, per viewer-hour`;

  const detail = $('#storage-detail');
  if (ladders === null || ladders instanceof Error || ladders.primary === null) {
    setMetric('current-storage', '—', '');
    detail.textContent =
      ladders instanceof Error ? `not available: ${ladders.message}` : 'the video has no encoded ladder yet';
    return;
  }
  const bytes = ladders.primary.storageBytes;
  setMetric(
    'current-storage',
    bytes === null ? '—' : formatBytes(bytes),
    bytes === null ? '' : String(bytes),
  );
  const others = ladders.ladders.map(
    (l) =>
      `${l.ladderId}@${l.ladderVersion}: ${l.storageBytes === null ? l.status : formatBytes(l.storageBytes)}`,
  );
  detail.textContent = [
    `${ladders.primary.ladderId}@${ladders.primary.ladderVersion}${bytes === null ? ' (not counted for this encode)' : ''}`,
    ...(others.length > 0 ? [`also on this video: ${others.join(', ')}`] : []),
  ].join('; ');
}

function paint(plan: LadderPlan, ladders: VideoLadderList | Error | null): void {
  shown = { videoId: plan.videoId, plan };
  planBox.hidden = false;
  constraintsPanel.hidden = false;
  planBox.dataset.stale = 'false';
  showPlanError(0, '');
  writeFields(constraintFields(plan.constraints));
  const c = plan.constraints;
  $('#constraints-fixed').textContent =
    `Also applied: a cellular rung of at most ${formatKbps(c.cellularRungMaxKbps)} (audio included) while mobile viewers may exist, ` +
    `and neighbouring rungs ${c.minStepRatio}–${c.maxStepRatio} × apart.`;
  const { settings, cost } = plan.probe;
  $('#hull-note').textContent =
    `${plan.points.length} probe encodes (${settings.samples} samples of ${settings.sampleSec} s, ${settings.codec} ${settings.preset}, ` +
    `CRF ${settings.crfs.join('/')}), scored at ${settings.display.width}×${settings.display.height}; ` +
    `probed ${new Date(plan.probe.probedAt).toLocaleString()} in ${cost.cpuSeconds.toFixed(1)} CPU s.`;
  paintHull(plan);
  paintAudience(plan);
  paintRungs(plan);
  paintSummary(plan, ladders);
}

const frame = startFrame({
  needKey: 'Enter the API key (scope manage; experiments too to open one) to see the ladder plan.',
  onKey: () => void loadVideos(),
  onForget: () => {
    videoSelect.replaceChildren(new Option('Enter the API key first', ''));
    videoSelect.disabled = true;
    showPlanError(0, '');
    clear();
  },
  // The plan's audience is the feature set's; the viewer scope only travels with the links.
  onScope: () => writeUrl(),
});

function writeUrl(): void {
  frame.writeUrl({ videoId }, (params) => {
    for (const name of CONSTRAINT_PARAMS) {
      const value = query[name];
      if (value === undefined) params.delete(name);
      else params.set(name, value);
    }
  });
}

/** An answer that refuses the plan itself: 409 (not ready, no probe) and 404 name what to do. */
function refusePlan(err: ApiError): void {
  clear();
  showPlanError(
    err.status,
    err.status === 404 ? `Video not found: ${err.message}` : `No ladder plan for this video: ${err.message}`,
  );
  frame.setStatus(
    'error',
    err.status === 404 ? 'Video not found.' : 'No ladder plan for this video (see above).',
  );
}

async function loadPlan(): Promise<void> {
  if (!videoId) return;
  writeUrl();
  const mine = frame.nextGeneration();
  planBox.dataset.stale = 'true';
  showFormError('');
  frame.setStatus('loading', 'Planning…');
  const ladders = frame.api
    .videoLadders(videoId)
    .catch((err: unknown) => (err instanceof Error ? err : null));
  try {
    const plan = await frame.api.ladderPlan(videoId, query);
    const storage = await ladders;
    if (!frame.isCurrent(mine)) return;
    if (shown?.videoId !== plan.videoId) showExperimentResult('');
    paint(plan, storage);
    frame.setStatus(
      'ready',
      `Planned ${plan.proposed.rungs.length} rungs for ${videoSelect.selectedOptions[0]?.text ?? videoId} · updated ${new Date().toLocaleTimeString()}`,
    );
  } catch (err) {
    if (!frame.isCurrent(mine)) return;
    if (err instanceof ApiError && err.status === 400) {
      // Impossible constraints: the plan on screen (if any) stays, the reason goes beside the form.
      planBox.dataset.stale = 'false';
      if (shown === null) {
        showPlanError(0, '');
        constraintsPanel.hidden = false;
        fieldsFromQuery();
      }
      showFormError(`These constraints cannot be planned: ${err.message}`);
      frame.setStatus(
        'error',
        shown === null
          ? 'No plan for these constraints (see the form).'
          : 'No plan for these constraints (see the form); the plan shown is for the previous ones.',
      );
      return;
    }
    if (err instanceof ApiError && (err.status === 409 || err.status === 404)) return refusePlan(err);
    clear();
    frame.showError(err);
  }
}

function videoLabel(video: Awaited<ReturnType<ApiClient['videos']>>[number]): string {
  const title = video.title || video.id;
  return video.status === 'ready' ? title : `${title} (${video.status})`;
}

async function loadVideos(): Promise<void> {
  const mine = frame.nextGeneration();
  frame.setStatus('loading', 'Loading videos…');
  videoSelect.disabled = true;
  let videos: Awaited<ReturnType<ApiClient['videos']>>;
  try {
    videos = await frame.api.videos();
  } catch (err) {
    if (!frame.isCurrent(mine)) return;
    videoSelect.replaceChildren(new Option('—', ''));
    clear();
    return frame.showError(err);
  }
  if (!frame.isCurrent(mine)) return;
  const options = videos.map((video) => new Option(videoLabel(video), video.id));
  // A video from the URL that is not on the first page of the list still gets its plan.
  if (videoId && !videos.some((video) => video.id === videoId)) options.unshift(new Option(videoId, videoId));
  if (options.length === 0) {
    videoSelect.replaceChildren(new Option('No videos yet', ''));
    clear();
    return frame.setStatus('empty', 'No videos yet: upload one, then come back once it is ready.');
  }
  videoSelect.replaceChildren(...options);
  videoSelect.disabled = false;
  if (!videoId) videoId = videos.find((video) => video.status === 'ready')?.id ?? options[0]?.value ?? '';
  videoSelect.value = videoId;
  fieldsFromQuery();
  await loadPlan();
}

async function openExperiment(): Promise<void> {
  if (shown === null || !videoId) return;
  query = constraintsQuery(readFields());
  const question =
    `Encode the proposed ladder of ${videoId} and open an experiment: its current ladder (${shown.plan.current.id}, control) ` +
    'against the per-title one, 50/50 of its viewers, started now?';
  if (!window.confirm(question)) return;
  openButton.disabled = true;
  showFormError('');
  showExperimentResult('busy', 'Opening the experiment…');
  let created: ProposeLadderResponse;
  try {
    created = await frame.api.proposeLadder(videoId, proposeBody(query));
  } catch (err) {
    openButton.disabled = false;
    if (err instanceof ApiError && err.status === 400) {
      showExperimentResult('');
      return showFormError(`These constraints cannot be planned: ${err.message}`);
    }
    if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
      showExperimentResult('');
      return refusePlan(err);
    }
    return showExperimentResult('error', `Not opened: ${err instanceof Error ? err.message : String(err)}`);
  }
  openButton.disabled = false;
  writeUrl();
  paint(
    created.plan,
    await frame.api.videoLadders(videoId).catch((e: unknown) => (e instanceof Error ? e : null)),
  );
  const { experiment, ladder, encodesQueued } = created;
  const link = document.createElement('a');
  link.id = 'experiment-link';
  link.href = `experiment?id=${encodeURIComponent(experiment.id)}`;
  link.textContent = `Open experiment ${experiment.id}`;
  experimentResult.dataset.experimentId = experiment.id;
  showExperimentResult(
    'ok',
    `Experiment ${experiment.id} is ${experiment.status}: ${experiment.arms
      .map(
        (arm) =>
          `${arm.name} (${arm.ladderId}@${arm.ladderVersion}${arm.control ? ', control' : ''}, ${arm.trafficPercent} %)`,
      )
      .join(' against ')}. ` +
      `${encodesQueued === 1 ? '1 encode' : `${encodesQueued} encodes`} of ${ladder.id}@${ladder.version} queued; viewers are assigned once both ladders are encoded. `,
    link,
  );
  frame.setStatus('ready', `Experiment ${experiment.id} opened · ${new Date().toLocaleTimeString()}`);
}

constraintsForm.addEventListener('submit', (event) => {
  event.preventDefault();
  query = constraintsQuery(readFields());
  void loadPlan();
});
openButton.addEventListener('click', () => void openExperiment());
videoSelect.addEventListener('change', () => {
  videoId = videoSelect.value;
  showExperimentResult('');
  void loadPlan();
});
$<HTMLFormElement>('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadPlan();
});
writeUrl();
