/**
 * `/watch/:id`: a player page built on @streamloop/player-sdk. It plays the video through the public
 * playback API (muted autoplay, so it starts without a click and in headless tests), reports QoE
 * beacons to the collector, and shows the video's title when the catalog answers for it. A "stats
 * for nerds" overlay shows the SDK's live measurements (`monitor.getStats()`), refreshed every second
 * while it is open. Below the player an "Up next" row shows the recommendations API's titles for this
 * viewer and video; each title shown and each click is a beacon (`monitor.recommendation`), and a
 * click opens `/watch/<id>?from=<reason>`, whose view then says on its `viewstart` that it began from
 * a recommendation of that reason.
 *
 * The id is checked against a strict pattern before it reaches the page, and every value written
 * into the inline script is JSON with HTML-significant characters escaped. The page runs under a
 * Content-Security-Policy whose nonce changes on every response.
 *
 * The SDK comes from the same stable `/sdk/v<major>/` URLs customer sites use (sdk-routes.ts), and
 * the page links its oEmbed description so a CMS given the watch URL finds the iframe embed.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@streamloop/core/errors';
import { isVideoId } from '@streamloop/core/ids';
import { RecommendationReason } from '@streamloop/core/schemas/beacon';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sdkMajorVersion, sdkUrls } from './sdk-routes.js';

export interface WatchPageDeps {
  /** Base of the streamloop API for the playback and catalog requests; default: this origin. */
  apiBase?: string;
  /** Where the player sends beacons, e.g. `/v1/beacons`. */
  collectorUrl: string;
  /** Origins (besides this one) that serve manifests and segments, e.g. a CDN. */
  mediaOrigins?: readonly string[];
}

/** JSON that is also safe inside an HTML <script> element (no `</script>`, no `<!--`, no line separators). */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The origin of an absolute URL, or undefined for a same-origin path. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined || !/^https?:\/\//i.test(url)) return undefined;
  return new URL(url).origin;
}

/** This server's origin as the browser sees it (for absolute links such as the oEmbed one). */
export function requestOrigin(request: FastifyRequest): string {
  // Through URL so a default port (`:80`) is dropped, as browsers and URL parsers drop it.
  return new URL(`${request.protocol}://${request.host}`).origin;
}

/**
 * The player pages' policy; `frameAncestors` is `'self'` for the watch page and the owner's allowed
 * sites for the embed page.
 */
export function watchPagePolicy(nonce: string, deps: WatchPageDeps, frameAncestors = "'self'"): string {
  const remote = [
    originOf(deps.apiBase),
    originOf(deps.collectorUrl),
    ...(deps.mediaOrigins ?? []).map(originOf),
  ];
  const connect = ["'self'", ...new Set(remote.filter((o): o is string => o !== undefined))].join(' ');
  const media = [
    "'self'",
    'blob:',
    ...(deps.mediaOrigins ?? []).map(originOf).filter((o) => o !== undefined),
  ].join(' ');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    // XHR/fetch for the playback API, manifests and segments (VHS), and beacons.
    `connect-src ${connect}`,
    // MSE plays from a blob: URL; native HLS (Safari) from the media origin itself.
    `media-src ${media}`,
    // VHS transmuxes in a worker built from a blob.
    'worker-src blob:',
    "img-src 'self' data: blob:",
    // The video.js icon font is a data: URL inside its stylesheet.
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

/** The SDK bundle's script tag, after the flag that keeps video.js from injecting a <style> (sizing comes from CSS). */
/**
 * The inline start both player pages (watch, embed) run inside their nonce'd script: the server's
 * `config` (inlineJson) and the SDK's player on `#player`, with the page's own video.js options.
 */
export function createPlayerScript(config: string, playerOptions: string): string {
  return `  var config = ${config};
  window.streamloop = StreamloopPlayer.createPlayer('player', {
    videoId: config.videoId,
    apiBase: config.apiBase,
    collectorUrl: config.collectorUrl,
    recommendationReason: config.recommendationReason,
    playerOptions: ${playerOptions}
  });`;
}

export function sdkScripts(nonce: string): string {
  return `<script nonce="${nonce}">window.VIDEOJS_NO_DYNAMIC_STYLE = true;</script>
<script nonce="${nonce}" src="${sdkUrls(sdkMajorVersion()).script}"></script>`;
}

/** `?from=` as the Up next row writes it: a reason of the contract, or nothing (anything else is ignored). */
export function recommendationReasonOf(from: unknown): RecommendationReason | undefined {
  return RecommendationReason.anyOf.find((literal) => literal.const === from)?.const;
}

function renderPage(
  nonce: string,
  videoId: string,
  deps: WatchPageDeps,
  origin: string,
  from: RecommendationReason | undefined,
): string {
  const sdk = sdkUrls(sdkMajorVersion());
  const oembed = `${origin}/oembed?format=json&url=${encodeURIComponent(`${origin}/watch/${videoId}`)}`;
  const config = inlineJson({
    videoId,
    apiBase: (deps.apiBase ?? '').replace(/\/+$/, ''),
    collectorUrl: deps.collectorUrl,
    ...(from === undefined ? {} : { recommendationReason: from }),
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(videoId)} · streamloop</title>
<link rel="icon" href="data:,">
<link rel="alternate" type="application/json+oembed" href="${escapeHtml(oembed)}" title="${escapeHtml(videoId)}">
<link rel="stylesheet" href="${sdk.stylesheet}">
<style nonce="${nonce}">
  body { margin: 0; background: #0f1115; color: #e8e8e8; font: 16px/1.4 system-ui, sans-serif; }
  main { max-width: 1024px; margin: 0 auto; padding: 16px; }
  h1 { font-size: 1.25rem; font-weight: 600; margin: 0 0 12px; overflow-wrap: anywhere; }
  .stage { position: relative; }
  #stats { position: absolute; top: 8px; left: 8px; z-index: 2; max-width: calc(100% - 16px); padding: 8px 10px;
    background: rgba(0, 0, 0, 0.78); border-radius: 4px; font: 12px/1.45 ui-monospace, monospace; }
  #stats dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0 12px; margin: 0; }
  #stats dt { color: #9aa4b2; }
  #stats dd { margin: 0; overflow-wrap: anywhere; }
  .toolbar { margin: 8px 0 0; }
  .toolbar button { font: inherit; color: inherit; background: #262a33; border: 1px solid #3a404c; border-radius: 4px;
    padding: 4px 10px; cursor: pointer; }
  #up-next { margin: 20px 0 0; }
  #up-next h2 { font-size: 1rem; font-weight: 600; margin: 0 0 8px; }
  #up-next ol { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px;
    list-style: none; margin: 0; padding: 0; }
  #up-next a { display: flex; flex-direction: column; gap: 2px; height: 100%; box-sizing: border-box; padding: 8px 10px;
    color: inherit; text-decoration: none; background: #1a1d24; border: 1px solid #3a404c; border-radius: 4px; }
  #up-next a:hover { border-color: #8ab4f8; }
  #up-next a:focus-visible { outline: 2px solid #8ab4f8; outline-offset: 2px; }
  .up-next-title { font-weight: 600; overflow-wrap: anywhere; }
  .up-next-why, .up-next-startup { font-size: 0.8125rem; color: #9aa4b2; overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
  <h1 id="title">${escapeHtml(videoId)}</h1>
  <div class="stage">
    <video id="player" class="video-js vjs-16-9 vjs-big-play-centered" controls muted playsinline></video>
    <aside id="stats" aria-label="Stats for nerds" hidden><dl></dl></aside>
  </div>
  <p class="toolbar"><button id="stats-toggle" type="button" aria-controls="stats" aria-expanded="false">Stats for nerds</button></p>
  <section id="up-next" aria-labelledby="up-next-heading" hidden>
    <h2 id="up-next-heading">Up next</h2>
    <ol></ol>
  </section>
</main>
${sdkScripts(nonce)}
<script nonce="${nonce}">
(function () {
${createPlayerScript(config, "{ autoplay: 'muted', muted: true }")}
  // The view's viewstart already says it came from a recommendation; a reload is not another one.
  if (config.recommendationReason) history.replaceState(history.state, '', location.pathname + location.hash);
  var titles = {};
  // A public video's catalog title, or null; asked once per id (the heading, and Up next's "because").
  function videoTitle(id) {
    if (!titles[id]) {
      titles[id] = fetch(config.apiBase + '/api/v1/videos/' + encodeURIComponent(id), { headers: { accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (video) { return video && typeof video.title === 'string' && video.title !== '' ? video.title : null; })
        .catch(function () { return null; });
    }
    return titles[id];
  }
  videoTitle(config.videoId).then(function (title) {
    if (title === null) return; // the id stays as the heading
    document.getElementById('title').textContent = title;
    document.title = title + ' · streamloop';
  });
  statsOverlay(window.streamloop.monitor);
  upNext(window.streamloop.monitor, config, videoTitle);
})();

// "Up next": the recommendations API's titles for this viewer and video, asked once the first frame
// is up or 2 s have passed, so never on the startup path. Built with textContent only: titles are
// user content. No title, an error or a 404 leaves the row hidden; the viewer was promised nothing.
function upNext(monitor, config, videoTitle) {
  var row = document.getElementById('up-next');
  var list = row.querySelector('ol');
  var asked = false;
  var stopListening = monitor.onBeacon(function (beacon) { if (beacon.event === 'firstframe') ask(); });
  var timer = setTimeout(ask, 2000);
  function ask() {
    if (asked) return;
    asked = true;
    clearTimeout(timer);
    stopListening();
    var url = config.apiBase + '/api/v1/recommendations?limit=8&viewerId=' + encodeURIComponent(monitor.viewerId) +
      '&videoId=' + encodeURIComponent(config.videoId);
    fetch(url, { headers: { accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        var items = (answer && Array.isArray(answer.items) ? answer.items : []).filter(shown).slice(0, 8);
        if (items.length === 0) return settle('empty');
        return Promise.all(items.map(why)).then(function (reasons) { render(items, reasons); });
      })
      // Hidden, as with no titles.
      .catch(function () { settle('failed'); });
  }
  // What the SDK would refuse (and a link could not carry) is left out rather than shown half.
  function shown(item) {
    return item && typeof item.title === 'string' && typeof item.videoId === 'string' &&
      /^[A-Za-z0-9_.:-]{1,128}$/.test(item.videoId) && (item.reason === 'co-watch' || item.reason === 'popular');
  }
  function why(item) {
    if (item.reason === 'popular' || typeof item.because !== 'string') return 'Popular now';
    return videoTitle(item.because).then(function (title) {
      return 'Because you watched ' + (title || (item.because === config.videoId ? 'this video' : 'a similar title'));
    });
  }
  // How the row ended (shown, empty, failed): for whoever inspects the page, it is never shown as an error.
  function settle(state) { row.setAttribute('data-state', state); }
  function line(className, text) {
    var span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    return span;
  }
  function render(items, reasons) {
    items.forEach(function (item, position) {
      var link = document.createElement('a');
      link.href = '/watch/' + encodeURIComponent(item.videoId) + '?from=' + item.reason;
      link.setAttribute('data-video-id', item.videoId);
      link.append(line('up-next-title', item.title), line('up-next-why', reasons[position]));
      var startupMs = item.predicted && item.predicted.startupMs;
      if (typeof startupMs === 'number') link.append(line('up-next-startup', 'Starts in about ' + (startupMs / 1000).toFixed(1) + ' s'));
      // The click beacon leaves through sendBeacon inside this handler: the link's navigation cannot lose it.
      link.addEventListener('click', function () {
        monitor.recommendation('click', { videoId: item.videoId, reason: item.reason, position: position });
      });
      var entry = document.createElement('li');
      entry.append(link);
      list.append(entry);
    });
    row.hidden = false;
    settle('shown');
    items.forEach(function (item, position) {
      monitor.recommendation('impression', { videoId: item.videoId, reason: item.reason, position: position });
    });
  }
}

// "Stats for nerds": the SDK's view so far. Text only (textContent), rebuilt from getStats() each second.
function statsOverlay(monitor) {
  var panel = document.getElementById('stats');
  var toggle = document.getElementById('stats-toggle');
  var list = panel.querySelector('dl');
  function ms(v) { return v === undefined ? '–' : v < 10000 ? v + ' ms' : (v / 1000).toFixed(1) + ' s'; }
  function kbps(v) { return v === undefined ? '–' : v + ' kbit/s'; }
  function size(w, h) { return w === undefined || h === undefined ? '–' : w + '×' + h; }
  function bytes(v) { return v < 1e6 ? (v / 1e3).toFixed(0) + ' kB' : (v / 1e6).toFixed(1) + ' MB'; }
  var rows = [
    ['state', 'State', function (s) { return s.state; }],
    ['startupTimeMs', 'Startup', function (s) { return ms(s.startupTimeMs); }],
    ['rendition', 'Rendition', function (s) { return size(s.width, s.height) + ' @ ' + kbps(s.bitrateKbps) + ' (' + s.renditionSwitches + ' switches)'; }],
    ['displayed', 'On screen', function (s) { return size(s.displayedWidth, s.displayedHeight) + ' in ' + size(s.playerWidth, s.playerHeight) + ' px'; }],
    ['bufferMs', 'Buffer', function (s) { return ms(s.bufferMs); }],
    ['throughput', 'Throughput', function (s) { return kbps(s.throughputKbps) + ' measured, ' + kbps(s.bandwidthEstimateKbps) + ' ABR estimate'; }],
    ['network', 'Requests', function (s) { return s.requestCount + ' (' + s.requestFailures + ' failed), ' + bytes(s.bytesDownloaded) + ', TTFB ' + ms(s.lastTtfbMs); }],
    ['frames', 'Frames', function (s) { return s.decodedFrames === undefined ? '–' : s.droppedFrames + ' dropped of ' + s.decodedFrames; }],
    ['rebuffering', 'Rebuffering', function (s) { return s.rebufferCount + ' × ' + ms(s.rebufferDurationMs); }],
    ['seeks', 'Seeks', function (s) { return s.seekCount + ' × ' + ms(s.seekDurationMs); }],
    ['time', 'Watch / play', function (s) { return ms(s.watchTimeMs) + ' / ' + ms(s.playTimeMs) + ', ' + (s.completionPercent === undefined ? '–' : s.completionPercent + ' %'); }],
    ['beacons', 'Beacons', function (s) { return s.beacons.sent + ' sent, ' + s.beacons.pending + ' pending, ' + s.beacons.dropped + ' dropped'; }],
    ['errors', 'Errors', function (s) { return s.errorCount === 0 ? 'none' : s.errorCount + ', last ' + s.lastError; }],
    ['sessionId', 'Session', function (s) { return s.sessionId; }],
    ['cmcd', 'CMCD', function (s) { return s.lastCmcd || '–'; }]
  ];
  var cells = rows.map(function (row) {
    var dt = document.createElement('dt');
    var dd = document.createElement('dd');
    dt.textContent = row[1];
    dd.setAttribute('data-stat', row[0]);
    list.append(dt, dd);
    return dd;
  });
  var timer;
  function render() {
    var stats = monitor.getStats();
    rows.forEach(function (row, i) { cells[i].textContent = row[2](stats); });
  }
  toggle.addEventListener('click', function () {
    var open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    clearInterval(timer);
    if (open) { render(); timer = setInterval(render, 1000); }
  });
}
</script>
</body>
</html>
`;
}

export function registerWatchPage(app: FastifyInstance, deps: WatchPageDeps): void {
  app.get<{ Params: { id: string }; Querystring: { from?: unknown } }>(
    '/watch/:id',
    async (request, reply) => {
      const { id } = request.params;
      if (!isVideoId(id)) throw new AppError('ERR_NOT_FOUND', 'no such video');
      const nonce = randomBytes(16).toString('base64');
      return (
        reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', watchPagePolicy(nonce, deps))
          // A nonce must never be reused, so neither may the page.
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .send(
            renderPage(nonce, id, deps, requestOrigin(request), recommendationReasonOf(request.query.from)),
          )
      );
    },
  );
}
