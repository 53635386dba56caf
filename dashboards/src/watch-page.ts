/**
 * `/watch/:id`: a player page built on @streamloop/player-sdk. It plays the video through the public
 * playback API (muted autoplay, so it starts without a click and in headless tests), reports QoE
 * beacons to the collector, and shows the video's title when the catalog answers for it. A "stats
 * for nerds" overlay shows the SDK's live measurements (`monitor.getStats()`), refreshed every second
 * while it is open.
 *
 * The id is checked against a strict pattern before it reaches the page, and every value written
 * into the inline script is JSON with HTML-significant characters escaped. The page runs under a
 * Content-Security-Policy whose nonce changes on every response.
 *
 * `/watch/assets/{streamloop-player.min.js,video-js.min.css}` serve the SDK's script-tag bundle and
 * the video.js stylesheet from the player-sdk build, and nothing else from that folder.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '@streamloop/core/errors';
import { isVideoId } from '@streamloop/core/ids';
import type { FastifyInstance } from 'fastify';

export interface WatchPageDeps {
  /** Absolute path of the player-sdk build (`dist/`); default: the installed @streamloop/player-sdk. */
  sdkDir?: string;
  /** Base of the streamloop API for the playback and catalog requests; default: this origin. */
  apiBase?: string;
  /** Where the player sends beacons, e.g. `/v1/beacons`. */
  collectorUrl: string;
  /** Origins (besides this one) that serve manifests and segments, e.g. a CDN. */
  mediaOrigins?: readonly string[];
}

const ASSETS: Record<string, string> = {
  'streamloop-player.min.js': 'text/javascript; charset=utf-8',
  'video-js.min.css': 'text/css; charset=utf-8',
};

/** The player-sdk build folder, found through the package (its exports list `./package.json`). */
export function playerSdkDistDir(): string {
  const manifest = createRequire(import.meta.url).resolve('@streamloop/player-sdk/package.json');
  return path.join(path.dirname(manifest), 'dist');
}

/** JSON that is also safe inside an HTML <script> element (no `</script>`, no `<!--`, no line separators). */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The origin of an absolute URL, or undefined for a same-origin path. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined || !/^https?:\/\//i.test(url)) return undefined;
  return new URL(url).origin;
}

export function watchPagePolicy(nonce: string, deps: WatchPageDeps): string {
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
    "frame-ancestors 'self'",
  ].join('; ');
}

function renderPage(nonce: string, videoId: string, deps: WatchPageDeps): string {
  const config = inlineJson({
    videoId,
    apiBase: (deps.apiBase ?? '').replace(/\/+$/, ''),
    collectorUrl: deps.collectorUrl,
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(videoId)} · streamloop</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/watch/assets/video-js.min.css">
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
</main>
<script nonce="${nonce}">
  // video.js would inject a <style> element the policy refuses; sizing comes from vjs-16-9 instead.
  window.VIDEOJS_NO_DYNAMIC_STYLE = true;
</script>
<script nonce="${nonce}" src="/watch/assets/streamloop-player.min.js"></script>
<script nonce="${nonce}">
(function () {
  var config = ${config};
  window.streamloop = StreamloopPlayer.createPlayer('player', {
    videoId: config.videoId,
    apiBase: config.apiBase,
    collectorUrl: config.collectorUrl,
    playerOptions: { autoplay: 'muted', muted: true }
  });
  fetch(config.apiBase + '/api/v1/videos/' + encodeURIComponent(config.videoId), { headers: { accept: 'application/json' } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (video) {
      if (video && typeof video.title === 'string' && video.title !== '') {
        document.getElementById('title').textContent = video.title;
        document.title = video.title + ' · streamloop';
      }
    })
    .catch(function () { /* the id stays as the heading */ });
  statsOverlay(window.streamloop.monitor);
})();

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
  let sdkDir = deps.sdkDir;
  const assetsDir = (): string => {
    sdkDir ??= playerSdkDistDir();
    return sdkDir;
  };

  app.get<{ Params: { id: string } }>('/watch/:id', async (request, reply) => {
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
        .send(renderPage(nonce, id, deps))
    );
  });

  app.get<{ Params: { file: string } }>('/watch/assets/:file', async (request, reply) => {
    const { file } = request.params;
    const contentType = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (contentType === undefined) throw new AppError('ERR_NOT_FOUND', `no asset ${file}`);
    const filePath = path.join(assetsDir(), file);
    const info = await stat(filePath).catch(() => undefined);
    if (info === undefined) {
      request.log.warn({ filePath }, 'player bundle missing; build @streamloop/player-sdk');
      throw new AppError('ERR_NOT_FOUND', `${file} is not built; run \`npm run build\``);
    }
    // Not content-hashed names: short caching, and a cheap revalidation after it.
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    reply
      .header('content-type', contentType)
      .header('cache-control', 'public, max-age=300')
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.header('content-length', info.size).send(createReadStream(filePath));
  });
}
