/**
 * What every dashboards page shares (`startFrame`): the API key (sessionStorage, gone with the tab),
 * the viewer scope (real / simulated / all) with its banner, the status line and the page URL. The QoE
 * pages (`startPage`) add the video picker, the time range and the hint that offers simulated viewers
 * when real ones left nothing to show; a page only says how to load and paint its numbers. Text from
 * the server is set with textContent, never parsed as HTML.
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import {
  type ApiClient,
  ApiError,
  createApiClient,
  FILTER_NAMES,
  type FilterName,
  type QoeParams,
} from './api-client.js';
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

/** The page URL's parameters every page reads the same way. */
const SHARED_PARAMS: readonly string[] = ['videoId', 'range', 'from', 'to', ...FILTER_NAMES];

export interface PageShell {
  /** Loads the page's numbers again (after a page-specific control changed). */
  reload(): void;
  /** Narrows every number to `name = value` (a breakdown row clicked) and loads them again. */
  addFilter(name: FilterName, value: string): void;
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

export interface FrameHooks {
  /** What the status line says while no key is entered. */
  needKey: string;
  /** A key was entered (or one is remembered for the tab): load what the page shows. */
  onKey(): void;
  /** The key was forgotten: show nothing. */
  onForget(): void;
  /** The viewer scope changed. */
  onScope(): void;
}

/** The part of every page that is not its numbers: key, viewer scope and banner, status, page URL. */
export interface Frame {
  api: ApiClient;
  scope(): SyntheticScope;
  setScope(next: SyntheticScope): void;
  setStatus(state: string, message: string): void;
  /** The banner follows the scope the numbers on screen were counted in. */
  paintScope(shown: SyntheticScope): void;
  showError(err: unknown): void;
  /**
   * Writes the page URL (the scope, `carried`, and the page's own parameters) and the links to the
   * other pages (the scope and `carried`), so a link shows the same numbers.
   */
  writeUrl(carried: Record<string, string>, own?: (params: URLSearchParams) => void): void;
  /** Bumped on every load and on "Forget": only the answer to the latest request may paint. */
  nextGeneration(): number;
  isCurrent(generation: number): boolean;
}

export function startFrame(hooks: FrameHooks): Frame {
  const keyForm = $<HTMLFormElement>('#key-form');
  const keyInput = $<HTMLInputElement>('#api-key');
  const scopeSelect = $<HTMLSelectElement>('#scope');
  const banner = $('#synthetic-banner');
  const statusLine = $('#status');

  const apiKey = () => sessionStorage.getItem(KEY_STORAGE) || '';
  const api = createApiClient({ apiKey });
  let scope = scopeFromSearch(location.search);
  scopeSelect.value = scope;
  let generation = 0;

  const setStatus = (state: string, message: string) => {
    statusLine.dataset.state = state;
    statusLine.textContent = message;
  };

  const paintScope = (shown: SyntheticScope) => {
    const text = scopeBanner(shown);
    banner.dataset.scope = shown;
    banner.textContent = text ?? '';
    banner.hidden = text === undefined;
    document.body.dataset.scope = shown;
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

  const writeUrl = (carried: Record<string, string>, own?: (params: URLSearchParams) => void) => {
    const carry = (params: URLSearchParams) => {
      for (const [name, value] of Object.entries(carried)) {
        if (value) params.set(name, value);
        else params.delete(name);
      }
      writeScope(params, scope);
    };
    const url = new URL(location.href);
    carry(url.searchParams);
    own?.(url.searchParams);
    history.replaceState(null, '', url);
    // What the pages share (the video, the range, the filters) travels on, even through a page
    // that does not use it (alerts, live): coming back finds the same numbers.
    const passedOn = SHARED_PARAMS.filter((name) => !(name in carried) && url.searchParams.has(name));
    for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-nav]')) {
      const target = new URL(link.getAttribute('href') ?? '', location.href);
      target.search = '';
      for (const name of passedOn) target.searchParams.set(name, url.searchParams.get(name)!);
      carry(target.searchParams);
      link.href = target.href;
    }
  };

  const setScope = (next: SyntheticScope) => {
    scope = next;
    scopeSelect.value = next;
    hooks.onScope();
  };

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return setStatus('need-key', hooks.needKey);
    sessionStorage.setItem(KEY_STORAGE, key);
    hooks.onKey();
  });

  $('#key-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    keyInput.value = '';
    generation++;
    hooks.onForget();
    setStatus('need-key', `Key forgotten. ${hooks.needKey}`);
  });

  scopeSelect.addEventListener('change', () => {
    setScope(SCOPES.find((s) => s === scopeSelect.value) ?? 'real');
  });

  paintScope(scope);
  setStatus('need-key', hooks.needKey);
  const frame: Frame = {
    api,
    scope: () => scope,
    setScope,
    setStatus,
    paintScope,
    showError,
    writeUrl,
    nextGeneration: () => ++generation,
    isCurrent: (mine) => mine === generation,
  };
  // After the caller has its frame: a key remembered for the tab loads at once.
  queueMicrotask(() => {
    if (apiKey()) {
      keyInput.value = apiKey();
      hooks.onKey();
    } else {
      keyInput.focus();
    }
  });
  return frame;
}

export function startPage(page: PageDefinition): PageShell {
  const filters = $<HTMLFormElement>('#filters');
  const videoSelect = $<HTMLSelectElement>('#video');
  const hint = $('#synthetic-hint');
  const hintText = $('#synthetic-hint-text');

  const fromUrl = new URLSearchParams(location.search);
  /** The video to show first: `?videoId=` in the page URL, kept while the person looks around. */
  let wantedVideoId = fromUrl.get('videoId') || '';
  /** The other filters (`?browser=Chrome`…), each shown as a chip that removes it. */
  const active = new Map<FilterName, string>();
  for (const name of FILTER_NAMES) {
    const value = fromUrl.get(name);
    if (value !== null) active.set(name, value);
  }
  const chips = $('#active-filters');

  /** `data-state`: '' (not asked), 'checking', 'none' (nothing simulated either) or 'offered'. */
  const hideHint = (state = '') => {
    hint.hidden = true;
    hint.dataset.plays = '';
    hint.dataset.state = state;
  };

  const frame = startFrame({
    needKey: 'Enter the API key to see your videos.',
    onKey: () => void loadVideos(),
    onForget: () => {
      videoSelect.replaceChildren(new Option('Enter the API key first', ''));
      videoSelect.disabled = true;
      hideHint();
      page.clear();
    },
    onScope: () => void loadNumbers(),
  });
  const { api, setStatus } = frame;
  const range = startRangePicker(() => void loadNumbers());
  const filterParams = () =>
    Object.fromEntries(FILTER_NAMES.map((name) => [name, active.get(name) ?? ''])) as Record<
      FilterName,
      string
    >;
  const writeUrl = (videoId: string) =>
    frame.writeUrl({ videoId, ...range.urlParams(), ...filterParams() }, page.writeUrl);

  /** One button per filter, "browser: Chrome ✕", that removes it. */
  const paintChips = () => {
    chips.replaceChildren(
      ...[...active].map(([name, value]) => {
        const chip = document.createElement('button');
        chip.type = 'button';
        chip.className = 'chip';
        chip.dataset.filter = name;
        chip.textContent = `${name}: ${value === '' ? 'unknown' : value} ✕`;
        chip.setAttribute('aria-label', `Remove the filter ${name} = ${value === '' ? 'unknown' : value}`);
        chip.addEventListener('click', () => {
          active.delete(name);
          paintChips();
          void loadNumbers();
        });
        return chip;
      }),
    );
    chips.hidden = active.size === 0;
  };
  paintChips();

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
    if (!frame.isCurrent(mine)) return;
    if (plays === 0) return hideHint('none');
    hintText.textContent = onlySyntheticHint(plays);
    hint.dataset.plays = String(plays);
    hint.dataset.state = 'offered';
    hint.hidden = false;
  };

  const loadNumbers = async () => {
    const videoId = videoSelect.value;
    if (!videoId && !page.allVideos) return;
    const picked = range.read();
    if ('error' in picked) return setStatus('error', picked.error);
    const mine = frame.nextGeneration();
    hideHint();
    page.stale();
    setStatus('loading', 'Loading…');
    writeUrl(videoId);
    wantedVideoId = videoId;
    const params: QoeParams = {
      ...picked,
      synthetic: frame.scope(),
      ...(videoId ? { videoId } : {}),
      ...Object.fromEntries(active),
    };
    try {
      const result = await page.load(api, params);
      if (!frame.isCurrent(mine)) return;
      frame.paintScope(result.scope ?? frame.scope());
      setStatus(result.state, result.message);
      if (result.state === 'empty' && frame.scope() === 'real') await offerSynthetic(params, mine);
    } catch (err) {
      if (!frame.isCurrent(mine)) return;
      page.clear();
      frame.showError(err);
    }
  };

  const loadVideos = async () => {
    const mine = frame.nextGeneration();
    setStatus('loading', 'Loading videos…');
    videoSelect.disabled = true;
    let videos: Awaited<ReturnType<typeof api.videos>>;
    try {
      videos = await api.videos();
    } catch (err) {
      if (!frame.isCurrent(mine)) return;
      // A key that may read the numbers but not list the catalog ('analytics-read' without 'manage')
      // still gets them: all videos, or the one in the link.
      if (!(err instanceof ApiError && err.status === 403)) {
        videoSelect.replaceChildren(new Option('—', ''));
        page.clear();
        return frame.showError(err);
      }
      videos = [];
      videoSelect.title = "This key cannot list the videos (that needs the 'manage' scope)";
    }
    if (!frame.isCurrent(mine)) return;
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

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadNumbers();
  });
  videoSelect.addEventListener('change', () => void loadNumbers());
  $('#show-synthetic').addEventListener('click', () => frame.setScope('synthetic'));

  writeUrl(wantedVideoId);
  return {
    reload: () => void loadNumbers(),
    addFilter(name, value) {
      active.set(name, value);
      paintChips();
      void loadNumbers();
    },
  };
}

/**
 * The time range fields (`time-range.html`). The range lives in the page URL, so a link shows the
 * same numbers: `?range=24h|7d|30d` for "the last …" (a preset, relative to when the page loads) or
 * `?from=…&to=…` (ISO 8601) for a range picked by hand. A range in the URL that cannot be read is
 * said under the fields and replaced by the last 24 h, never a blank page. A preset or an edit calls
 * `onChange`.
 */
export interface RangePicker {
  /** The range picked, as ISO 8601 for the API, or what is wrong with it. */
  read(): { from: string; to: string } | { error: string };
  /** The URL parameters that reproduce the range ('' removes one). */
  urlParams(): Record<'range' | 'from' | 'to', string>;
}

const PRESETS: Record<string, number> = { '24h': 24, '7d': 168, '30d': 720 };
const presetName = (hours: number) => Object.keys(PRESETS).find((name) => PRESETS[name] === hours) ?? '';

/** A range named by a URL: a preset, or both ends as instants; what is wrong with it otherwise. */
export function rangeFromSearch(
  search: string,
): { preset: number } | { from: number; to: number } | { problem: string } | undefined {
  const params = new URLSearchParams(search);
  const range = params.get('range');
  const from = params.get('from');
  const to = params.get('to');
  if (range !== null) {
    const hours = PRESETS[range];
    return hours === undefined
      ? {
          problem: `The link's range "${range}" is not one of ${Object.keys(PRESETS).join(', ')}; showing the last 24 h.`,
        }
      : { preset: hours };
  }
  if (from === null && to === null) return undefined;
  const fromMs = from === null ? Number.NaN : Date.parse(from);
  const toMs = to === null ? Number.NaN : Date.parse(to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || fromMs >= toMs) {
    return {
      problem:
        "The link's from/to is not a range (two ISO 8601 times, from before to); showing the last 24 h.",
    };
  }
  return { from: fromMs, to: toMs };
}

export function startRangePicker(onChange: () => void): RangePicker {
  const fromInput = $<HTMLInputElement>('#from');
  const toInput = $<HTMLInputElement>('#to');
  const problem = $('#range-problem');
  /** The preset shown (hours), or null when the range was picked by hand. */
  let preset: number | null = 24;

  const setRange = (hours: number) => {
    // The end rounds up to the next minute so beacons of the current minute are inside.
    const to = Math.ceil(Date.now() / 60_000) * 60_000;
    toInput.value = toLocalInput(to);
    fromInput.value = toLocalInput(to - hours * HOUR_MS);
    preset = hours;
  };
  const edited = () => {
    preset = null;
    problem.hidden = true;
    onChange();
  };

  fromInput.addEventListener('change', edited);
  toInput.addEventListener('change', edited);
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-range-hours]')) {
    button.addEventListener('click', () => {
      setRange(Number(button.dataset.rangeHours));
      problem.hidden = true;
      onChange();
    });
  }
  const wanted = rangeFromSearch(location.search);
  if (wanted !== undefined && 'from' in wanted) {
    fromInput.value = toLocalInput(wanted.from);
    toInput.value = toLocalInput(wanted.to);
    preset = null;
  } else {
    setRange(wanted !== undefined && 'preset' in wanted ? wanted.preset : 24);
  }
  problem.textContent = wanted !== undefined && 'problem' in wanted ? wanted.problem : '';
  problem.hidden = problem.textContent === '';

  const read = (): { from: string; to: string } | { error: string } => {
    const from = new Date(fromInput.value).getTime();
    const to = new Date(toInput.value).getTime();
    if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'Pick both ends of the date range.' };
    if (from >= to) return { error: '"From" must be before "To".' };
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  };
  return {
    read,
    urlParams() {
      const name = preset === null ? '' : presetName(preset);
      const picked = read();
      if (name !== '' || 'error' in picked) return { range: name, from: '', to: '' };
      return { range: '', ...picked };
    },
  };
}
