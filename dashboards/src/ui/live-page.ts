/**
 * `/dashboards/live`: what viewers are doing now, from analytics' `GET /api/v1/qoe/live` (the raw
 * beacons of the last 30 minutes, seconds old): viewers watching now (a beacon other than viewend
 * in the last 60 s), plays and start failures over the 30 minutes, and two uPlot charts per minute.
 * Every video or the one in `?videoId=`, for the viewer scope picked. It refreshes every 5 s while
 * the tab is visible and stops while it is hidden; a refresh that fails keeps the last numbers on
 * screen, greyed, and says so.
 *
 * The charts are charts.ts' (uPlot); what each was given is on its element as `data-plot` (JSON:
 * minute starts in epoch seconds, then one array per series, in `data-series` order).
 */
import { type ApiClient, ApiError, type LiveAnswer } from './api-client.js';
import { createChart } from './charts.js';
import { integer } from './format.js';
import { $, startFrame } from './page-shell.js';

/** Often enough to feel live; each refresh is one query over 30 minutes of raw beacons. */
const REFRESH_MS = 5_000;
/** Counts only: whole-number steps on the y axis. */
const COUNT_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
];

type Video = Awaited<ReturnType<ApiClient['videos']>>[number];
type Minute = LiveAnswer['minutes'][number];

const live = $('#live');
const videoSelect = $<HTMLSelectElement>('#live-video');
const metricElements = {
  now: $('[data-metric="concurrent-viewers"]'),
  plays: $('[data-metric="plays"]'),
  failures: $('[data-metric="start-failures"]'),
};

/** The video whose numbers are shown ('' for every video): `?videoId=` in the page URL. */
let videoId = new URLSearchParams(location.search).get('videoId') ?? '';
/** A key is entered: the page loads and keeps refreshing. */
let running = false;
let timer: ReturnType<typeof setTimeout> | undefined;
/** The video and scope the numbers on screen count, and their time ('' when none are shown). */
let shown = { question: '', asOf: '' };
let videosAsked = 0;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const timeOf = (iso: string) => new Date(iso).toLocaleTimeString();
const sum = (minutes: Minute[], count: (m: Minute) => number) => minutes.reduce((n, m) => n + count(m), 0);

// Counts from zero in whole steps; the two charts share a time axis (hovering one shows the other).
const COUNTS = { syncKey: 'live', format: integer.format, fromZero: true, steps: COUNT_STEPS } as const;
const viewersChart = createChart(
  $('#viewers-chart'),
  [{ label: 'Concurrent viewers', colour: '--accent' }],
  COUNTS,
);
const startsChart = createChart(
  $('#starts-chart'),
  [
    { label: 'Plays', colour: '--muted', dash: [5, 4] },
    { label: 'Start failures', colour: '--bad' },
  ],
  COUNTS,
);

function setMetric(element: HTMLElement, value: number | null): void {
  element.dataset.value = value === null ? '' : String(value);
  element.textContent = value === null ? '—' : integer.format(value);
}

function paint(answer: LiveAnswer | null): void {
  live.dataset.stale = 'false';
  if (answer === null) {
    for (const element of Object.values(metricElements)) setMetric(element, null);
    viewersChart.clear();
    startsChart.clear();
    return;
  }
  const { minutes } = answer;
  const plays = sum(minutes, (m) => m.plays);
  const failures = sum(minutes, (m) => m.startFailures);
  setMetric(metricElements.now, answer.concurrentViewers);
  setMetric(metricElements.plays, plays);
  setMetric(metricElements.failures, failures);

  // uPlot's time scale is in seconds.
  const times = minutes.map((m) => Date.parse(m.time) / 1000);
  const span = minutes.length > 0 ? `${timeOf(minutes[0]!.time)} to ${timeOf(answer.asOf)}` : '';
  const peak = Math.max(0, ...minutes.map((m) => m.concurrentViewers));
  viewersChart.paint(
    [times, minutes.map((m) => m.concurrentViewers)],
    `Concurrent viewers per minute, ${span}: at most ${integer.format(peak)} in a minute.`,
  );
  startsChart.paint(
    [times, minutes.map((m) => m.plays), minutes.map((m) => m.startFailures)],
    `Plays and start failures per minute, ${span}: ${integer.format(plays)} plays, ${integer.format(failures)} start failures.`,
  );
}

function stopTimer(): void {
  clearTimeout(timer);
  timer = undefined;
}

function schedule(): void {
  stopTimer();
  // A hidden tab asks nothing: nobody reads it, and the query runs for every open tab.
  if (running && document.visibilityState === 'visible') timer = setTimeout(() => void load(), REFRESH_MS);
}

function writeUrl(): void {
  frame.writeUrl({ videoId });
}

async function load(): Promise<void> {
  stopTimer();
  if (!running) return;
  writeUrl();
  const mine = frame.nextGeneration();
  const question = `${frame.scope()} ${videoId}`;
  if (shown.question !== question) {
    live.dataset.stale = 'true';
    frame.setStatus('loading', 'Loading the last 30 minutes…');
  }
  try {
    const answer = await frame.api.live({ synthetic: frame.scope(), ...(videoId ? { videoId } : {}) });
    if (!frame.isCurrent(mine)) return;
    paint(answer);
    shown = { question, asOf: answer.asOf };
    frame.paintScope(answer.synthetic);
    const quiet =
      answer.concurrentViewers === 0 &&
      answer.minutes.every((m) => m.concurrentViewers === 0 && m.plays === 0);
    if (quiet) {
      frame.setStatus('empty', `Nobody watched in the last 30 minutes · updated ${timeOf(answer.asOf)}`);
    } else {
      frame.setStatus('ready', `Updated ${timeOf(answer.asOf)} · refreshing every 5 s`);
    }
  } catch (err) {
    if (!frame.isCurrent(mine)) return;
    if (err instanceof ApiError && err.status === 401) {
      // The key no longer works: nothing to show, and nothing to retry until another is entered.
      running = false;
      paint(null);
      shown = { question: '', asOf: '' };
      return frame.showError(err);
    }
    if (shown.question === question) {
      // The same numbers, a few seconds older: better on screen, greyed, than gone.
      live.dataset.stale = 'true';
      frame.setStatus(
        'error',
        `Could not refresh: ${errorText(err)}. Showing the numbers of ${timeOf(shown.asOf)}; trying again every 5 s.`,
      );
    } else {
      paint(null);
      shown = { question: '', asOf: '' };
      frame.showError(err);
    }
  }
  schedule();
}

function videoOption(video: Video): HTMLOptionElement {
  const title = video.title || video.id;
  return new Option(
    video.status && video.status !== 'ready' ? `${title} (${video.status})` : title,
    video.id,
  );
}

/** "All videos", the catalog's first page and the URL's video even when it is not on it. */
function paintVideos(videos: Video[]): void {
  const options = [new Option('All videos', ''), ...videos.map(videoOption)];
  if (videoId && !videos.some((video) => video.id === videoId)) options.push(new Option(videoId, videoId));
  videoSelect.replaceChildren(...options);
  videoSelect.value = videoId;
}

async function loadVideos(): Promise<void> {
  const mine = ++videosAsked;
  let videos: Video[] = [];
  try {
    videos = await frame.api.videos();
  } catch {
    // Only the picker's list: the numbers load without it, and their call reports a bad key.
  }
  if (mine !== videosAsked) return;
  paintVideos(videos);
  videoSelect.disabled = false;
}

const frame = startFrame({
  needKey: 'Enter the API key (scope analytics-read) to see who is watching now.',
  onKey: () => {
    running = true;
    void loadVideos();
    void load();
  },
  onForget: () => {
    running = false;
    stopTimer();
    videosAsked++;
    paint(null);
    shown = { question: '', asOf: '' };
    paintVideos([]);
    videoSelect.disabled = true;
  },
  onScope: () => void load(),
});

videoSelect.addEventListener('change', () => {
  videoId = videoSelect.value;
  void load();
});
$<HTMLFormElement>('#live-filter').addEventListener('submit', (event) => event.preventDefault());
$<HTMLFormElement>('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') stopTimer();
  else void load();
});
paintVideos([]);
writeUrl();
