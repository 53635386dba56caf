/**
 * What every dashboards page shares: the API key (sessionStorage, gone with the tab), the video
 * picker, the time range, the viewer scope (real / simulated / all) with its banner, the status line,
 * and the hint that offers simulated viewers when real ones left nothing to show. A page only says how
 * to load and paint its numbers. Text from the server is set with textContent, never parsed as HTML.
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import { type ApiClient, ApiError, createApiClient, type QoeParams } from './api-client.js';
import { onlySyntheticHint, SCOPES, scopeBanner, scopeFromSearch, writeScope } from './scope.js';

const KEY_STORAGE = 'streamloop.apiKey';
const HOUR_MS = 3600 * 1000;

export interface LoadResult {
  state: 'ready' | 'empty';
  message: string;
  /** The scope the API says it counted (its echo), when it says one. */
  scope?: SyntheticScope | undefined;
}

export interface PageDefinition {
  /** Offer "All videos" first (lists); the overview needs one video. */
  allVideos: boolean;
  /** Fetches and paints the page's numbers. */
  load(api: ApiClient, params: QoeParams): Promise<LoadResult>;
  /** Shows no numbers (no key, an error). */
  clear(): void;
  /** Greys out the numbers on screen while new ones load. */
  stale(): void;
  /** Page-specific parameters kept in the page URL (the breakdown's dimension). */
  writeUrl?(params: URLSearchParams): void;
}

export interface PageShell {
  /** Loads the page's numbers again (after a page-specific control changed). */
  reload(): void;
}

export function $<T extends Element = HTMLElement>(selector: string): T {
  const element = document.querySelector<T>(selector);
  if (element === null) throw new Error(`dashboards: the page has no ${selector}`);
  return element;
}

/** `<input type="datetime-local">` speaks local time without a zone: 'YYYY-MM-DDTHH:MM'. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function videoLabel(video: { id: string; title?: string; status?: string }): string {
  const title = video.title || video.id;
  return video.status && video.status !== 'ready' ? `${title} (${video.status})` : title;
}

export function startPage(page: PageDefinition): PageShell {
  const keyForm = $<HTMLFormElement>('#key-form');
  const keyInput = $<HTMLInputElement>('#api-key');
  const filters = $<HTMLFormElement>('#filters');
  const videoSelect = $<HTMLSelectElement>('#video');
  const fromInput = $<HTMLInputElement>('#from');
  const toInput = $<HTMLInputElement>('#to');
  const scopeSelect = $<HTMLSelectElement>('#scope');
  const banner = $('#synthetic-banner');
  const hint = $('#synthetic-hint');
  const hintText = $('#synthetic-hint-text');
  const statusLine = $('#status');

  const apiKey = () => sessionStorage.getItem(KEY_STORAGE) || '';
  const api = createApiClient({ apiKey });

  const fromUrl = new URLSearchParams(location.search);
  /** The video to show first: `?videoId=` in the page URL, kept while the person looks around. */
  let wantedVideoId = fromUrl.get('videoId') || '';
  let scope = scopeFromSearch(location.search);
  scopeSelect.value = scope;
  /** Only the answer to the latest request may paint the page. */
  let generation = 0;

  const setStatus = (state: string, message: string) => {
    statusLine.dataset.state = state;
    statusLine.textContent = message;
  };

  /** The banner follows the scope the numbers on screen were counted in. */
  const paintScope = (shown: SyntheticScope) => {
    const text = scopeBanner(shown);
    banner.dataset.scope = shown;
    banner.textContent = text ?? '';
    banner.hidden = text === undefined;
    document.body.dataset.scope = shown;
  };

  /** `data-state`: '' (not asked), 'checking', 'none' (nothing simulated either) or 'offered'. */
  const hideHint = (state = '') => {
    hint.hidden = true;
    hint.dataset.plays = '';
    hint.dataset.state = state;
  };

  const showError = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) {
      setStatus('key-rejected', 'API key rejected. Check the key (STREAMLOOP_API_KEY) and enter it again.');
      keyInput.focus();
      keyInput.select();
    } else {
      setStatus('error', `Could not load the numbers: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  /** The page URL (and the links to the other pages) say what is shown, so a link shows the same. */
  const writeUrl = (videoId: string) => {
    const url = new URL(location.href);
    if (videoId) url.searchParams.set('videoId', videoId);
    else url.searchParams.delete('videoId');
    writeScope(url.searchParams, scope);
    page.writeUrl?.(url.searchParams);
    history.replaceState(null, '', url);
    for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-nav]')) {
      const target = new URL(link.getAttribute('href') ?? '', location.href);
      target.search = '';
      if (videoId) target.searchParams.set('videoId', videoId);
      writeScope(target.searchParams, scope);
      link.href = target.href;
    }
  };

  const setRange = (hours: number) => {
    // The end rounds up to the next minute so beacons of the current minute are inside.
    const to = Math.ceil(Date.now() / 60_000) * 60_000;
    toInput.value = toLocalInput(to);
    fromInput.value = toLocalInput(to - hours * HOUR_MS);
  };

  const readRange = (): { from: string; to: string } | { error: string } => {
    const from = new Date(fromInput.value).getTime();
    const to = new Date(toInput.value).getTime();
    if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'Pick both ends of the date range.' };
    if (from >= to) return { error: '"From" must be before "To".' };
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  };

  /**
   * Real viewers left nothing here: one overview call over simulated viewers tells whether the
   * simulator (or the demo's audience) did, so a newcomer is told why the page is empty and offered
   * the switch instead of facing an unexplained blank dashboard.
   */
  const offerSynthetic = async (params: QoeParams, mine: number) => {
    hideHint('checking');
    let plays = 0;
    try {
      plays = (await api.overview({ ...params, synthetic: 'synthetic' })).plays;
    } catch {
      // Only an offer: the page already says it has nothing to show.
    }
    if (mine !== generation) return;
    if (plays === 0) return hideHint('none');
    hintText.textContent = onlySyntheticHint(plays);
    hint.dataset.plays = String(plays);
    hint.dataset.state = 'offered';
    hint.hidden = false;
  };

  const loadNumbers = async () => {
    const videoId = videoSelect.value;
    if (!videoId && !page.allVideos) return;
    const range = readRange();
    if ('error' in range) return setStatus('error', range.error);
    const mine = ++generation;
    hideHint();
    page.stale();
    setStatus('loading', 'Loading…');
    writeUrl(videoId);
    wantedVideoId = videoId;
    const params: QoeParams = { ...range, synthetic: scope, ...(videoId ? { videoId } : {}) };
    try {
      const result = await page.load(api, params);
      if (mine !== generation) return;
      paintScope(result.scope ?? scope);
      setStatus(result.state, result.message);
      if (result.state === 'empty' && scope === 'real') await offerSynthetic(params, mine);
    } catch (err) {
      if (mine !== generation) return;
      page.clear();
      showError(err);
    }
  };

  const loadVideos = async () => {
    const mine = ++generation;
    setStatus('loading', 'Loading videos…');
    videoSelect.disabled = true;
    let videos: Awaited<ReturnType<typeof api.videos>>;
    try {
      videos = await api.videos();
    } catch (err) {
      if (mine !== generation) return;
      videoSelect.replaceChildren(new Option('—', ''));
      page.clear();
      return showError(err);
    }
    if (mine !== generation) return;
    const options = videos.map((video) => new Option(videoLabel(video), video.id));
    if (wantedVideoId && !videos.some((video) => video.id === wantedVideoId)) {
      // A video from the URL that is not on the first page still gets its numbers.
      options.unshift(new Option(wantedVideoId, wantedVideoId));
    }
    if (options.length === 0 && !page.allVideos) {
      videoSelect.replaceChildren(new Option('No videos yet', ''));
      page.clear();
      return setStatus('empty', 'No videos yet: upload one, then come back.');
    }
    if (page.allVideos) options.unshift(new Option('All videos', ''));
    videoSelect.replaceChildren(...options);
    videoSelect.disabled = false;
    videoSelect.value =
      wantedVideoId && options.some((o) => o.value === wantedVideoId)
        ? wantedVideoId
        : (options[0]?.value ?? '');
    await loadNumbers();
  };

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
    hideHint();
    page.clear();
    setStatus('need-key', 'Key forgotten. Enter the API key to see your videos.');
  });

  const setScope = (next: SyntheticScope) => {
    scope = next;
    scopeSelect.value = next;
    void loadNumbers();
  };

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadNumbers();
  });
  videoSelect.addEventListener('change', () => void loadNumbers());
  fromInput.addEventListener('change', () => void loadNumbers());
  toInput.addEventListener('change', () => void loadNumbers());
  scopeSelect.addEventListener('change', () => {
    setScope(SCOPES.find((s) => s === scopeSelect.value) ?? 'real');
  });
  $('#show-synthetic').addEventListener('click', () => setScope('synthetic'));
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-range-hours]')) {
    button.addEventListener('click', () => {
      setRange(Number(button.dataset.rangeHours));
      void loadNumbers();
    });
  }

  setRange(24);
  paintScope(scope);
  writeUrl(wantedVideoId);
  if (apiKey()) {
    keyInput.value = apiKey();
    void loadVideos();
  } else {
    keyInput.focus();
  }
  return { reload: () => void loadNumbers() };
}
