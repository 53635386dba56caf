// The QoE overview page (inlined into /dashboards/ as a module script under a nonce CSP).
// It calls only same-origin APIs with the API key the person typed; text from the server is
// always set with textContent, never parsed as HTML.

const KEY_STORAGE = 'streamloop.apiKey';
const HOUR_MS = 3600 * 1000;

const $ = (selector) => document.querySelector(selector);
const keyForm = $('#key-form');
const keyInput = $('#api-key');
const filters = $('#filters');
const videoSelect = $('#video');
const fromInput = $('#from');
const toInput = $('#to');
const statusLine = $('#status');
const cards = $('#cards');

/** The video to show first: `?videoId=` in the page URL, kept while the person looks around. */
let wantedVideoId = new URLSearchParams(location.search).get('videoId') || '';
/** Only the answer to the latest request may paint the page. */
let generation = 0;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function setStatus(state, message) {
  statusLine.dataset.state = state;
  statusLine.textContent = message;
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || '';
}

async function api(path) {
  let response;
  try {
    response = await fetch(path, {
      headers: { authorization: `Bearer ${apiKey()}`, accept: 'application/json' },
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach the server (${err.message})`);
  }
  if (response.ok) return response.json();
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body?.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  throw new ApiError(response.status, message);
}

function showError(err) {
  if (err instanceof ApiError && err.status === 401) {
    setStatus('key-rejected', 'API key rejected. Check the key (STREAMLOOP_API_KEY) and enter it again.');
    keyInput.focus();
    keyInput.select();
  } else {
    setStatus('error', `Could not load the numbers: ${err.message}`);
  }
}

// ---- time range -------------------------------------------------------------------------------

/** `<input type="datetime-local">` speaks local time without a zone: 'YYYY-MM-DDTHH:MM'. */
function toLocalInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function setRange(hours) {
  // The end rounds up to the next minute so beacons of the current minute are inside.
  const to = Math.ceil(Date.now() / 60_000) * 60_000;
  toInput.value = toLocalInput(to);
  fromInput.value = toLocalInput(to - hours * HOUR_MS);
}

function readRange() {
  const from = new Date(fromInput.value).getTime();
  const to = new Date(toInput.value).getTime();
  if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'Pick both ends of the date range.' };
  if (from >= to) return { error: '"From" must be before "To".' };
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

// ---- metrics ----------------------------------------------------------------------------------

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

const METRICS = [
  { name: 'plays', value: (o) => o.plays, format: (v) => integer.format(v) },
  { name: 'viewers', value: (o) => o.viewers, format: (v) => integer.format(v) },
  { name: 'startup-p50', value: (o) => o.startupTimeMs.p50, format: (v) => `${integer.format(v)} ms` },
  { name: 'startup-p95', value: (o) => o.startupTimeMs.p95, format: (v) => `${integer.format(v)} ms` },
  { name: 'rebuffer-ratio', value: (o) => o.rebufferRatio, format: (v) => `${(v * 100).toFixed(2)} %` },
  { name: 'watch-time', value: (o) => o.watchTimeMs, format: formatDuration },
  { name: 'errors', value: (o) => o.errors, format: (v) => integer.format(v) },
];

function paint(overview) {
  for (const metric of METRICS) {
    const element = document.querySelector(`[data-metric="${metric.name}"]`);
    const value = overview ? metric.value(overview) : null;
    element.dataset.value = value === null || value === undefined ? '' : String(value);
    element.textContent = value === null || value === undefined ? '—' : metric.format(value);
  }
  const detail = $('#metric-rebuffer-detail');
  detail.textContent = overview
    ? `${integer.format(overview.rebufferCount)} ${overview.rebufferCount === 1 ? 'stall' : 'stalls'}, ${formatDuration(overview.rebufferTimeMs)} stalled`
    : 'stalled ÷ (watched + stalled)';
  cards.dataset.stale = 'false';
}

// ---- loading ----------------------------------------------------------------------------------

async function loadOverview() {
  const videoId = videoSelect.value;
  if (!videoId) return;
  const range = readRange();
  if (range.error) return setStatus('error', range.error);
  const mine = ++generation;
  cards.dataset.stale = 'true';
  setStatus('loading', 'Loading…');
  const url = new URL(location.href);
  url.searchParams.set('videoId', videoId);
  history.replaceState(null, '', url);
  wantedVideoId = videoId;
  try {
    const params = new URLSearchParams({ videoId, from: range.from, to: range.to });
    const overview = await api(`/api/v1/qoe/overview?${params}`);
    if (mine !== generation) return;
    paint(overview);
    if (overview.plays === 0) {
      setStatus('empty', 'No plays yet for this video in this range.');
    } else {
      setStatus(
        'ready',
        `Updated ${new Date().toLocaleTimeString()} · ${new Date(overview.from).toLocaleString()} – ${new Date(overview.to).toLocaleString()}`,
      );
    }
  } catch (err) {
    if (mine !== generation) return;
    paint(null);
    showError(err);
  }
}

function videoLabel(video) {
  const title = video.title || video.id;
  return video.status && video.status !== 'ready' ? `${title} (${video.status})` : title;
}

async function loadVideos() {
  const mine = ++generation;
  setStatus('loading', 'Loading videos…');
  videoSelect.disabled = true;
  let body;
  try {
    body = await api('/api/v1/videos');
  } catch (err) {
    if (mine !== generation) return;
    videoSelect.replaceChildren(new Option('—', ''));
    paint(null);
    return showError(err);
  }
  if (mine !== generation) return;
  // The catalog answers a page ({ videos, nextCursor }); a bare array is taken too.
  const videos = Array.isArray(body) ? body : Array.isArray(body?.videos) ? body.videos : [];
  const options = videos.map((video) => new Option(videoLabel(video), video.id));
  if (wantedVideoId && !videos.some((video) => video.id === wantedVideoId)) {
    // A video from the URL that is not on the first page still gets its numbers.
    options.unshift(new Option(wantedVideoId, wantedVideoId));
  }
  if (options.length === 0) {
    videoSelect.replaceChildren(new Option('No videos yet', ''));
    paint(null);
    return setStatus('empty', 'No videos yet: upload one, then come back.');
  }
  videoSelect.replaceChildren(...options);
  videoSelect.disabled = false;
  videoSelect.value =
    wantedVideoId && options.some((o) => o.value === wantedVideoId) ? wantedVideoId : options[0].value;
  await loadOverview();
}

// ---- wiring -----------------------------------------------------------------------------------

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return setStatus('need-key', 'Enter the API key to see your videos.');
  sessionStorage.setItem(KEY_STORAGE, key);
  void loadVideos();
});

$('#key-forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY_STORAGE);
  keyInput.value = '';
  generation++;
  videoSelect.replaceChildren(new Option('Enter the API key first', ''));
  videoSelect.disabled = true;
  paint(null);
  setStatus('need-key', 'Key forgotten. Enter the API key to see your videos.');
});

filters.addEventListener('submit', (event) => {
  event.preventDefault();
  void loadOverview();
});
videoSelect.addEventListener('change', () => void loadOverview());
fromInput.addEventListener('change', () => void loadOverview());
toInput.addEventListener('change', () => void loadOverview());
for (const button of document.querySelectorAll('[data-range-hours]')) {
  button.addEventListener('click', () => {
    setRange(Number(button.dataset.rangeHours));
    void loadOverview();
  });
}

setRange(24);
if (apiKey()) {
  keyInput.value = apiKey();
  void loadVideos();
} else {
  keyInput.focus();
}
