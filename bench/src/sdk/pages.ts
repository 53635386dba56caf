/**
 * The two pages the bench compares, served from ANOTHER origin than the stack (a customer's site):
 * both load the stack's own script-tag bundle from `/sdk/v0/`, play the same signed HLS manifest
 * from its origin with the same player options, and measure startup themselves, independently of
 * the SDK. The only difference: `sdk` builds the player with `createPlayer` (monitor, beacons to the
 * stack's collector, CMCD), `bare` with the bundle's plain `videojs`.
 *
 * In the page (`window.__bench`): `callAt`, just before the page calls the player's `play()` (the
 * viewer's click); `elementPlayAt`, the first `HTMLMediaElement.play()` on a video (the ground truth
 * e2e/test/player-qoe.test.ts holds the SDK to); `firstFrameAt`, the first requestVideoFrameCallback
 * after it; `mediaPlayedS`, media seconds played (loops included) for the long session.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `bare-cmcd`: plain video.js whose requests carry a CMCD query like the SDK's (same session id on
 * every request, the object type by request type) through VHS' own request hook, and nothing else of
 * the SDK: what the origin's side of CMCD costs the viewer, apart from the SDK's code in the page.
 */
export type Target = 'sdk' | 'bare' | 'bare-cmcd';

export interface PageConfig {
  target: Target;
  stackUrl: string;
  videoId: string;
  manifestUrl: string;
  /** Long session: loop, this playback rate once playing, small VHS buffers (so every loop refetches). */
  rate?: number;
  /** The SDK's heartbeat interval and batch flush interval (scaled with `rate` in the long session). */
  heartbeatIntervalMs?: number;
  flushIntervalMs?: number;
  /** Extra createPlayer options (diagnosis: e.g. `{ "cmcd": false }`), from BENCH_SDK_OPTIONS. */
  sdkOptions?: Record<string, unknown>;
}

export interface BenchGlobals {
  callAt: number | null;
  elementPlayAt: number | null;
  firstAppendAt: number | null;
  firstFrameAt: number | null;
  mediaPlayedS: number;
  /** Segment requests made (Resource Timing, counted as they end; nothing kept). */
  segmentRequests: number;
  beacons: number;
  /** How long each fetch() call to the collector took before it returned (its main-thread part), ms. */
  postCallMs: number[];
}

const MEASURE = `
window.__bench = { callAt: null, elementPlayAt: null, firstAppendAt: null, firstFrameAt: null, mediaPlayedS: 0, segmentRequests: 0, beacons: 0, postCallMs: [] };
(() => {
  const bench = window.__bench;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (/\\.(m4s|ts|mp4)(\\?|$)/.test(entry.name)) bench.segmentRequests++;
  }).observe({ type: 'resource' });
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const t = performance.now();
    try {
      return fetch.call(this, input, init);
    } finally {
      if (String(input).endsWith('/v1/beacons') && bench.postCallMs.length < 10000) bench.postCallMs.push(performance.now() - t);
    }
  };
  // The first media bytes handed to MSE: where a slower request path or a busy main thread shows.
  const append = SourceBuffer.prototype.appendBuffer;
  SourceBuffer.prototype.appendBuffer = function (...args) {
    if (bench.firstAppendAt === null) { bench.firstAppendAt = performance.now(); performance.mark('bench-first-append'); }
    return append.apply(this, args);
  };
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    if (bench.elementPlayAt === null && this instanceof HTMLVideoElement) {
      bench.elementPlayAt = performance.now();
      performance.mark('bench-element-play');
      this.requestVideoFrameCallback(() => { bench.firstFrameAt = performance.now(); performance.mark('bench-first-frame'); });
    }
    return play.apply(this, args);
  };
})();`;

function script(config: PageConfig): string {
  const long = config.rate !== undefined;
  return `
const config = ${JSON.stringify(config)};
const bench = window.__bench;
const Vhs = StreamloopPlayer.videojs.Vhs;
if (config.rate) {
  // A short title on loop stands for a long one only if every loop fetches its segments again.
  Vhs.GOAL_BUFFER_LENGTH = 6; Vhs.MAX_GOAL_BUFFER_LENGTH = 6; Vhs.BACK_BUFFER_LENGTH = 2;
}
// What createPlayer passes to videojs(), so both players are configured alike.
const playerOptions = { controls: true, preload: 'auto', muted: true, loop: ${long} };
function start(player) {
  if (config.rate) {
    let last = 0;
    player.on('timeupdate', () => {
      const now = player.currentTime();
      if (now > last && now - last < 5) bench.mediaPlayedS += now - last;
      last = now;
    });
    player.one('playing', () => player.playbackRate(config.rate));
  }
  bench.callAt = performance.now();
  performance.mark('bench-call');
  player.play();
}
if (config.target === 'sdk') {
  const sp = StreamloopPlayer.createPlayer('player', {
    videoId: config.videoId,
    playbackUrl: config.manifestUrl,
    collectorUrl: config.stackUrl + '/v1/beacons',
    ...(config.heartbeatIntervalMs ? { heartbeatIntervalMs: config.heartbeatIntervalMs } : {}),
    ...(config.flushIntervalMs ? { transport: { flushIntervalMs: config.flushIntervalMs } } : {}),
    playerOptions,
    ...config.sdkOptions,
  });
  window.streamloop = sp;
  sp.monitor.onBeacon(() => { bench.beacons++; });
  sp.ready.then(() => start(sp.player));
} else {
  const player = StreamloopPlayer.videojs('player', playerOptions);
  window.bare = player;
  if (config.target === 'bare-cmcd') {
    const sid = crypto.randomUUID().replace(/-/g, '');
    const ot = { 'hls-playlist': 'm', 'dash-manifest': 'm', segment: 'av', 'segment-media-initialization': 'i' };
    player.on('xhr-hooks-ready', () => player.tech(true).vhs.xhr.onRequest((o) => {
      const cmcd = 'cid="' + config.videoId + '",ot=' + (ot[o.requestType] || 'o') + ',sf=h,sid="' + sid + '",st=v,su';
      o.uri += (o.uri.includes('?') ? '&' : '?') + 'CMCD=' + encodeURIComponent(cmcd);
      return o;
    }));
  }
  Promise.resolve().then(() => {
    player.src({ src: config.manifestUrl, type: 'application/x-mpegURL' });
    start(player);
  });
}`;
}

export function pageHtml(config: PageConfig): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>sdk bench ${config.target}</title>
<script>${MEASURE}</script>
<link rel="stylesheet" href="${config.stackUrl}/sdk/v0/streamloop-player.min.css">
</head><body style="margin:0">
<video id="player" class="video-js" width="640" height="360" playsinline muted></video>
<script src="${config.stackUrl}/sdk/v0/streamloop-player.min.js"></script>
<script>${script(config)}</script>
</body></html>`;
}

/** A customer's site: `http://localhost:<port>/?c=<config>`, while the stack is on 127.0.0.1. */
export async function startPageServer(): Promise<{
  url(config: PageConfig): string;
  close(): Promise<void>;
}> {
  const server = http.createServer((req, res) => {
    const config = new URL(req.url ?? '/', 'http://localhost').searchParams.get('c');
    if (config === null) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(pageHtml(JSON.parse(config) as PageConfig));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (config) => `http://localhost:${port}/?c=${encodeURIComponent(JSON.stringify(config))}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
