/**
 * One simulated viewer in live mode, on a real clock against the real stack: the playback API
 * (`?synthetic=1`), the master and media playlists and the init and media segments through the
 * origin, every download paced to the viewer's network trace (shaped-download.ts). The decisions
 * are playback-model's, not re-implemented: the VHS policy (`createVhsPolicy`, early abort
 * `vhsEarlyAbortBandwidth`, `vhsIsLowestEnabled`), its bandwidth estimator and its forward buffer.
 * Like VHS' segment loader: one segment at a time, idle while the buffer is at the goal (looking
 * again every 500 ms), the policy asked after each appended segment when walking forward, a request
 * timeout of 1.5 target durations except on the lowest enabled rung, 10 s exclusion after an early
 * abort. Playback starts on the first appended segment and stalls when the buffer runs dry.
 *
 * The measuring is the player SDK's own: `monitor()` runs over a simulated player
 * (simulated-player.ts), so beacons, CMCD on every request, batching, retries and `Retry-After`
 * are the SDK's code. Its `sendBeacon` (the page-unload path) is handed to the caller, which
 * delivers what a browser would finish after the tab closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { AbrContext } from '@streamloop/playback-model/abr-policy';
import {
  createVhsPolicy,
  vhsEarlyAbortBandwidth,
  vhsIsLowestEnabled,
  vhsSelectRung,
} from '@streamloop/playback-model/abr-vhs';
import type { SessionPlan } from '@streamloop/playback-model/audience';
import { createVhsBandwidthEstimator } from '@streamloop/playback-model/bandwidth-estimator';
import { createPlaybackBuffer } from '@streamloop/playback-model/buffer';
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { EndReason } from '@streamloop/playback-model/player-model';
import type { NetworkTrace } from '@streamloop/playback-model/trace';
import { createTraceClock } from '@streamloop/playback-model/trace-clock';
import { monitor } from '@streamloop/player-sdk/monitor';
import { fetchPlayback, PlaybackError, type ResolvedPlayback } from '../playback-source.js';
import {
  type MasterPlaylist,
  type MediaPlaylist,
  parseMasterPlaylist,
  parseMediaPlaylist,
} from './hls-playlists.js';
import type { VhsPlaylistLike } from './sdk-types.js';
import { type DownloadResult, linkNow, type ShapedLink, shapedGet } from './shaped-download.js';
import { createSimulatedPlayer, type SimulatedPlayer } from './simulated-player.js';
import { createViewerHttp } from './viewer-http.js';

export interface LiveViewerInput {
  /** Base URL of the stack (checked to be loopback by the caller). */
  target: string;
  /** Sent as a bearer token on the playback request (the operator's key is not rate limited). */
  apiKey?: string;
  videoId: string;
  plan: SessionPlan;
  trace: NetworkTrace;
  /** The beacons' `networkClass`: the class id, or the trace's name. */
  networkClass: string;
  /** The browser's `sendBeacon`: beacons the SDK hands over as the page goes away. */
  deliverUnload(beacons: Beacon[]): Promise<void>;
  /** Every POST the SDK makes itself, by status (0: network error or timeout). */
  onBeaconPost?(status: number, beacons: number): void;
  /** Hard cap on the session's real duration; the viewer leaves when it is reached. */
  maxSessionMs: number;
  signal?: AbortSignal;
  /** Send from this local (loopback) address: each viewer is its own client to the stack. */
  localAddress?: string;
  /** Heartbeat interval of the SDK (default its own, 10 s). */
  heartbeatIntervalMs?: number;
}

export type LiveEndReason = EndReason | 'failed' | 'stopped' | 'timeout';

export interface LiveSessionResult {
  cohort: string;
  networkClass: string;
  videoId: string;
  sessionId: string | undefined;
  viewId: string | undefined;
  viewerId: string;
  endReason: LiveEndReason;
  /** Why a failed session failed (`playback 403`, `segment 500`, `network`…). */
  failure?: string;
  startupTimeMs: number | undefined;
  watchTimeMs: number;
  playTimeMs: number;
  rebufferCount: number;
  rebufferDurationMs: number;
  meanBitrateKbps: number | undefined;
  bytesDownloaded: number;
  requestCount: number;
  renditionSwitches: number;
  /** Beacons the SDK made for this view. */
  beaconsMade: number;
}

// segment-loader CHECK_BUFFER_DELAY and playlist-controller ABORT_EARLY_EXCLUSION_SECONDS.
const CHECK_BUFFER_DELAY_MS = 500;
const ABORT_EARLY_EXCLUSION_MS = 10_000;
// video.js fires timeupdate about every 250 ms while playing.
const TICK_MS = 250;
// Requests VHS would retry; after this many failures in a row the view is given up.
const MAX_FAILED_REQUESTS = 4;
// Playlists and init segments are small; no trace makes them take this long unless it is an outage.
const NON_SEGMENT_TIMEOUT_MS = 60_000;
const EPSILON_SEC = 1e-6;

class ViewFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** `playback 403`, `segment 500`, `master network`: the cause a failure is counted under. */
const causeOf = (what: string, result: DownloadResult): string =>
  `${what} ${result.outcome === 'http-error' ? result.status : result.outcome}`;

export async function runLiveViewer(input: LiveViewerInput): Promise<LiveSessionResult> {
  const { plan } = input;
  const http = input.localAddress ? createViewerHttp(input.localAddress) : undefined;
  const link: ShapedLink = {
    clock: createTraceClock(input.trace),
    originMs: performance.now(),
    fetch: http?.fetch ?? fetch,
  };
  const stop = new AbortController();
  const onOuter = (): void => stop.abort();
  input.signal?.addEventListener('abort', onOuter, { once: true });
  const deadline = setTimeout(() => finish('timeout'), input.maxSessionMs);
  const base: LiveSessionResult = {
    cohort: plan.cohort,
    networkClass: input.networkClass,
    videoId: input.videoId,
    sessionId: undefined,
    viewId: undefined,
    viewerId: plan.viewerId,
    endReason: 'failed',
    startupTimeMs: undefined,
    watchTimeMs: 0,
    playTimeMs: 0,
    rebufferCount: 0,
    rebufferDurationMs: 0,
    meanBitrateKbps: undefined,
    bytesDownloaded: 0,
    requestCount: 0,
    renditionSwitches: 0,
    beaconsMade: 0,
  };

  let endReason: LiveEndReason | undefined;
  function finish(reason: LiveEndReason): void {
    if (endReason !== undefined) return;
    endReason = reason;
    stop.abort();
  }

  try {
    // The playback API, as the SDK's createPlayer asks it before the player exists (not in startup).
    let playback: ResolvedPlayback;
    try {
      playback = await fetchPlayback(
        {
          target: input.target,
          // Bounded like every other request: the session's deadline or the run's stop ends it.
          fetch: (url, init) => link.fetch(url, { ...init, signal: stop.signal }),
          ...(input.apiKey ? { apiKey: input.apiKey } : {}),
        },
        input.videoId,
        // The id its beacons carry: a running experiment assigns this viewer its arm by it.
        plan.viewerId,
      );
    } catch (error) {
      if (!(error instanceof PlaybackError)) throw error;
      if (stop.signal.aborted) return { ...base, endReason: endReason ?? 'stopped' };
      return { ...base, failure: `playback ${error.status || 'network'}` };
    }
    return await play(input, link, playback, base, stop.signal, finish, () => endReason);
  } finally {
    clearTimeout(deadline);
    input.signal?.removeEventListener('abort', onOuter);
    http?.close();
  }
}

async function play(
  input: LiveViewerInput,
  link: ShapedLink,
  playback: ResolvedPlayback,
  base: LiveSessionResult,
  signal: AbortSignal,
  finish: (reason: LiveEndReason) => void,
  ended: () => LiveEndReason | undefined,
): Promise<LiveSessionResult> {
  const { plan } = input;
  const player = createSimulatedPlayer(plan.viewport);
  const pendingDeliveries = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pendingDeliveries.add(promise);
    void promise.finally(() => pendingDeliveries.delete(promise)).catch(() => {});
    return promise;
  };
  // monitor() makes its viewstart before a listener can be added: counted here.
  let beaconsMade = 1;
  const view = monitor(player, {
    videoId: input.videoId,
    collectorUrl: new URL('/v1/beacons', input.target).href,
    viewerId: plan.viewerId,
    metadata: {
      // Always marked: a simulated viewer is synthetic whatever the playback API answered.
      synthetic: true,
      cohort: plan.cohort,
      networkClass: input.networkClass,
      ...(playback.ladderId ? { ladderId: playback.ladderId } : {}),
      ...(playback.variant ? { variant: playback.variant } : {}),
    },
    cmcd: 'query',
    playerName: 'streamloop-simulator',
    page: { subscribe: () => () => {} },
    frames: player.frames,
    ...(input.heartbeatIntervalMs ? { heartbeatIntervalMs: input.heartbeatIntervalMs } : {}),
    transport: {
      fetch: (url, init) =>
        track(
          link.fetch(url, init).then(
            (response) => {
              input.onBeaconPost?.(response.status, countOf(init.body));
              return response;
            },
            (error: unknown) => {
              input.onBeaconPost?.(0, countOf(init.body));
              throw error;
            },
          ),
        ),
      sendBeacon: (_url, data) => {
        track(data.text().then((text) => input.deliverUnload(JSON.parse(text) as Beacon[])));
        return true;
      },
    },
  });
  const stopCounting = view.onBeacon(() => {
    beaconsMade++;
  });

  const estimator = createVhsBandwidthEstimator();
  const policy = createVhsPolicy();
  const playedMsByRung: number[] = [];
  let buffer = createPlaybackBuffer(0, playedMsByRung);
  let startupDone = false;
  let stalled = false;
  let stallStartMs = 0;
  let playedSec = 0;
  let playLimitSec = Number.POSITIVE_INFINITY;
  let durationSec = Number.POSITIVE_INFINITY;
  let lastTickMs = 0;
  const playStartMs = linkNow(link);

  const syncPlayer = (): void => {
    player.setPosition(buffer.playheadSec, 0, buffer.endSec);
    const rung = buffer.rungAtPlayhead();
    if (rung !== undefined && startupDone) player.showRendition(rung);
  };

  /** video.js' playback: the playhead moves with the real clock while the buffer lasts. */
  const tick = (): void => {
    const now = linkNow(link);
    const elapsedSec = (now - lastTickMs) / 1000;
    lastTickMs = now;
    if (!startupDone) {
      const limit = plan.watch.abandonStartupAfterMs;
      if (limit !== undefined && now - playStartMs > limit) finish('abandoned-startup');
      return;
    }
    if (!stalled) {
      const played = buffer.play(Math.min(elapsedSec, playLimitSec - playedSec));
      playedSec += played;
      syncPlayer();
      player.emit('timeupdate');
      if (playedSec >= playLimitSec - EPSILON_SEC) {
        finish(playLimitSec >= durationSec - EPSILON_SEC ? 'ended' : 'watched');
        return;
      }
      if (played < elapsedSec - EPSILON_SEC) {
        stalled = true;
        stallStartMs = now;
        player.emit('waiting');
      }
      return;
    }
    const limit = plan.watch.abandonStallAfterMs;
    if (limit !== undefined && now - stallStartMs > limit) finish('abandoned-stall');
  };

  const ticker = setInterval(tick, TICK_MS);
  let failure: string | undefined;
  try {
    player.emit('loadstart');
    player.setPaused(false);
    player.emit('play');
    await load(input, link, player, playback.manifestUrl, signal, estimator, policy, {
      buffer: () => buffer,
      resetBuffer: (startSec) => {
        buffer = createPlaybackBuffer(startSec, playedMsByRung);
      },
      setDuration: (seconds) => {
        durationSec = seconds;
        playLimitSec = Math.min(plan.watch.playSec ?? Number.POSITIVE_INFINITY, seconds);
        player.setDuration(seconds);
      },
      appended: () => {
        if (!startupDone) {
          startupDone = true;
          lastTickMs = linkNow(link);
          syncPlayer();
          player.presentFrame();
          player.emit('playing');
        } else if (stalled) {
          stalled = false;
          lastTickMs = linkNow(link);
          player.emit('playing');
        }
        syncPlayer();
      },
      stalled: () => stalled,
      started: () => startupDone,
    });
    // Everything is buffered: the viewer watches on until they leave or the media ends.
    if (ended() === undefined)
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  } catch (error) {
    if (error instanceof ViewFailed) {
      failure = error.reason;
      finish('failed');
    } else if (!signal.aborted) {
      failure = `internal ${(error as Error).message}`;
      finish('failed');
    }
  } finally {
    clearInterval(ticker);
  }

  const reason = ended() ?? 'stopped';
  if (reason === 'ended') {
    // A browser at the end of the media: paused, ended; the SDK ends the view and flushes normally.
    player.setPaused(true);
    player.setEnded(true);
    player.emit('pause');
    player.emit('ended');
  }
  const stats = view.getStats();
  // The tab closes (or the player is disposed): viewend if not sent, and the unload path.
  view.destroy();
  stopCounting();
  // Bounded: each delivery has its own timeout (the SDK's request timeout, the sink's retries).
  while (pendingDeliveries.size > 0) await Promise.allSettled([...pendingDeliveries]);

  let weighted = 0;
  let weight = 0;
  playedMsByRung.forEach((played, rung) => {
    weighted += (played ?? 0) * (player.qualityLevels?.()[rung]?.bitrate ?? 0);
    weight += played ?? 0;
  });
  return {
    ...base,
    sessionId: view.sessionId,
    viewId: view.viewId,
    endReason: reason,
    ...(failure ? { failure } : {}),
    startupTimeMs: stats.startupTimeMs,
    watchTimeMs: stats.watchTimeMs,
    playTimeMs: stats.playTimeMs,
    rebufferCount: stats.rebufferCount,
    rebufferDurationMs: stats.rebufferDurationMs,
    meanBitrateKbps: weight > 0 ? weighted / weight / 1000 : undefined,
    bytesDownloaded: stats.bytesDownloaded,
    requestCount: stats.requestCount,
    renditionSwitches: stats.renditionSwitches,
    beaconsMade,
  };
}

const countOf = (body: unknown): number => {
  if (typeof body !== 'string') return 0;
  try {
    const parsed: unknown = JSON.parse(body);
    return Array.isArray(parsed) ? parsed.length : 0;
  } catch {
    return 0;
  }
};

interface PlaybackHooks {
  buffer(): ReturnType<typeof createPlaybackBuffer>;
  resetBuffer(startSec: number): void;
  setDuration(seconds: number): void;
  appended(): void;
  stalled(): boolean;
  started(): boolean;
}

/** VHS' playlist and segment loaders for one view. Returns when every segment is buffered. */
async function load(
  input: LiveViewerInput,
  link: ShapedLink,
  player: SimulatedPlayer,
  manifestUrl: string,
  signal: AbortSignal,
  estimator: ReturnType<typeof createVhsBandwidthEstimator>,
  policy: ReturnType<typeof createVhsPolicy>,
  hooks: PlaybackHooks,
): Promise<void> {
  /** One request through the SDK's hooks (CMCD), paced to the trace. */
  const request = async (
    uri: string,
    requestType: string,
    options: {
      keepText?: boolean;
      timeoutMs: number;
      shouldAbort?: Parameters<typeof shapedGet>[2]['shouldAbort'];
    },
  ): Promise<DownloadResult> => {
    const hooked = player.hookRequest(uri, requestType);
    const result = await shapedGet(link, hooked.uri, {
      ...options,
      headers: hooked.headers,
      signal,
      onFirstByte: (status) => hooked.headersReceived(status),
    });
    if (result.outcome === 'aborted' || result.outcome === 'timeout') hooked.aborted(result.bytes);
    else hooked.loadEnd(result.bytes, result.status);
    return result;
  };
  let failuresInARow = 0;
  /** Retries like VHS does for a failed request, a bounded number of times. */
  const fetchOk = async (
    what: string,
    uri: string,
    requestType: string,
    keepText = false,
  ): Promise<DownloadResult> => {
    for (;;) {
      const result = await request(uri, requestType, { keepText, timeoutMs: NON_SEGMENT_TIMEOUT_MS });
      if (signal.aborted) throw new Error('stopped');
      if (result.outcome === 'ok') {
        failuresInARow = 0;
        return result;
      }
      if (++failuresInARow >= MAX_FAILED_REQUESTS) throw new ViewFailed(causeOf(what, result));
      await sleep(CHECK_BUFFER_DELAY_MS, undefined, { signal });
    }
  };

  const masterResult = await fetchOk('master', manifestUrl, 'hls-playlist', true);
  const master: MasterPlaylist = parseMasterPlaylist(manifestUrl, masterResult.text ?? '');
  const playlists: VhsPlaylistLike[] = master.variants.map((variant) => ({
    attributes: {
      BANDWIDTH: variant.bandwidth,
      ...(variant.codecs ? { CODECS: variant.codecs } : {}),
      ...(variant.audioGroup ? { AUDIO: variant.audioGroup } : {}),
    },
    segments: [],
  }));
  const audioPlaylist: VhsPlaylistLike | undefined = master.audioUri ? { segments: [] } : undefined;
  player.setRenditions(
    master.variants.map((variant, index) => ({
      bandwidth: variant.bandwidth,
      width: variant.width,
      height: variant.height,
      playlist: playlists[index] as VhsPlaylistLike,
    })),
    audioPlaylist,
  );
  const ladder: Ladder = {
    rungs: master.variants.map((variant) => ({
      bandwidth: variant.bandwidth,
      width: variant.width,
      height: variant.height,
      segments: [],
    })),
  };
  const media = new Map<number, MediaPlaylist>();
  const initialised = new Set<number>();
  let audio: MediaPlaylist | undefined;
  let audioInitialised = false;
  // The audio rendition is cut on its own grid (AAC frames), not always the video's: its loader
  // keeps up with the video by time, so audio segments are fetched until they cover the video's end.
  let audioIndex = 0;
  let audioEndSec = 0;
  const excludedUntilMs = ladder.rungs.map(() => 0);
  const isEnabled = (rung: number): boolean => linkNow(link) >= (excludedUntilMs[rung] ?? 0);

  const loadMedia = async (rung: number): Promise<MediaPlaylist> => {
    const known = media.get(rung);
    if (known) return known;
    const uri = master.variants[rung]?.uri ?? '';
    const parsed = parseMediaPlaylist(uri, (await fetchOk('playlist', uri, 'hls-playlist', true)).text ?? '');
    const playlist = playlists[rung];
    if (playlist)
      playlist.segments = parsed.segments.map((segment) => ({
        resolvedUri: segment.uri,
        duration: segment.durationSec,
        ...(parsed.initUri ? { map: { resolvedUri: parsed.initUri } } : {}),
      }));
    media.set(rung, parsed);
    return parsed;
  };

  let durationSec = Number.POSITIVE_INFINITY;
  let targetDurationSec = 0;
  const context = (rung: number | undefined): AbrContext => ({
    ladder,
    viewport: player.viewport,
    estimator,
    currentRung: rung,
    isEnabled,
    forwardBufferSec: hooks.buffer().forwardSec(),
    currentTimeSec: hooks.buffer().playheadSec,
    durationSec,
  });
  let rung = policy.chooseRung(context(undefined));
  player.selectRendition(rung);
  const switchTo = (next: number, reason: string): void => {
    if (next === rung) return;
    rung = next;
    // segment-loader resyncLoader: the next segment is not "walking forward".
    walkingForward = false;
    player.selectRendition(next, reason);
  };
  let walkingForward = false;
  let segmentIndex = 0;

  const first = await loadMedia(rung);
  durationSec = first.segments.reduce((sum, segment) => sum + segment.durationSec, 0);
  targetDurationSec =
    first.targetDurationSec || Math.max(1, ...first.segments.map((s) => Math.round(s.durationSec)));
  hooks.resetBuffer(0);
  hooks.setDuration(durationSec);
  const segmentCount = first.segments.length;
  const segmentStartSec = (index: number): number =>
    first.segments.slice(0, index).reduce((sum, segment) => sum + segment.durationSec, 0);

  // Bounded: each turn appends a segment, aborts one (a rung is then excluded or the estimate
  // drops), or idles; the session's deadline ends the rest.
  const maxTurns = segmentCount * 8 + 100 + Math.ceil(input.maxSessionMs / CHECK_BUFFER_DELAY_MS);
  for (let turn = 0; turn < maxTurns && segmentIndex < segmentCount; turn++) {
    if (signal.aborted) return;
    const buffer = hooks.buffer();
    if (hooks.started() && buffer.forwardSec() >= policy.goalBufferSec(buffer.playheadSec)) {
      await sleep(CHECK_BUFFER_DELAY_MS, undefined, { signal }).catch(() => {});
      continue;
    }
    const playlist = await loadMedia(rung);
    if (playlist.initUri && !initialised.has(rung)) {
      await fetchOk('init', playlist.initUri, 'segment-media-initialization');
      initialised.add(rung);
    }
    if (master.audioUri && !audio) {
      audio = parseMediaPlaylist(
        master.audioUri,
        (await fetchOk('playlist', master.audioUri, 'hls-playlist', true)).text ?? '',
      );
      if (audioPlaylist)
        audioPlaylist.segments = audio.segments.map((segment) => ({
          resolvedUri: segment.uri,
          duration: segment.durationSec,
          ...(audio?.initUri ? { map: { resolvedUri: audio.initUri } } : {}),
        }));
    }
    if (audio?.initUri && !audioInitialised) {
      await fetchOk('init', audio.initUri, 'segment-media-initialization');
      audioInitialised = true;
    }
    const segment = playlist.segments[segmentIndex];
    if (!segment) throw new ViewFailed(`playlist rung ${rung} has no segment ${segmentIndex}`);

    let abort: { bandwidth: number; exclude: boolean } | undefined;
    const timeoutMs = 1.5 * targetDurationSec * 1000;
    const lowest = vhsIsLowestEnabled(ladder, rung, isEnabled);
    const result = await request(segment.uri, 'segment', {
      // Lowest enabled rung: no timeout in VHS; here the session's own deadline bounds it.
      timeoutMs: lowest ? input.maxSessionMs : timeoutMs,
      shouldAbort: (progress) => {
        if (lowest || progress.sinceFirstByteMs < 1000) return false;
        const receivedBits = progress.bytes * 8;
        const bandwidth = vhsEarlyAbortBandwidth(ladder, rung, isEnabled, {
          receivedBits,
          measuredBandwidth: Math.floor((receivedBits / progress.elapsedMs) * 1000),
          segmentDurationSec: segment.durationSec,
          // The buffer drains in real time (the ticker), so what is left now is the margin.
          timeUntilRebufferSec: hooks.buffer().forwardSec() - 1,
        });
        if (bandwidth === undefined) return false;
        abort = { bandwidth, exclude: true };
        return true;
      },
    });
    if (signal.aborted) return;
    if (result.outcome === 'timeout' && !lowest) abort = { bandwidth: 1, exclude: false };
    if (abort) {
      estimator.setBandwidth(abort.bandwidth);
      player.setBandwidth(abort.bandwidth);
      if (abort.exclude) {
        excludedUntilMs[rung] = linkNow(link) + ABORT_EARLY_EXCLUSION_MS;
        switchTo(vhsSelectRung(ladder, estimator.systemBandwidth(), player.viewport, isEnabled), 'exclude');
      } else {
        switchTo(policy.chooseRung(context(rung)), policy.switchReason);
      }
      continue;
    }
    if (result.outcome !== 'ok') {
      if (++failuresInARow >= MAX_FAILED_REQUESTS) throw new ViewFailed(causeOf('segment', result));
      await sleep(CHECK_BUFFER_DELAY_MS, undefined, { signal }).catch(() => {});
      continue;
    }
    failuresInARow = 0;
    // VHS loads audio on its own loader in parallel; on one link that is the same bytes in the same time.
    let endAtMs = result.endAtMs;
    const videoEndSec = segmentStartSec(segmentIndex) + segment.durationSec;
    const lastVideo = segmentIndex === segmentCount - 1;
    for (let next = audio?.segments[audioIndex]; next; next = audio?.segments[audioIndex]) {
      if (!lastVideo && audioEndSec >= videoEndSec - EPSILON_SEC) break;
      endAtMs = (await fetchOk('segment', next.uri, 'segment')).endAtMs;
      audioEndSec += next.durationSec;
      audioIndex++;
    }
    estimator.onSegment({
      bytes: result.bytes,
      roundTripMs: Math.max(1, endAtMs - result.sentAtMs),
      processingMs: 0,
      durationSec: segment.durationSec,
    });
    player.setBandwidth(estimator.bandwidth());
    hooks.buffer().append(segmentStartSec(segmentIndex), segment.durationSec, rung);
    segmentIndex++;
    hooks.appended();
    const check = walkingForward || !policy.onlyWalkingForward;
    walkingForward = true;
    if (check) switchTo(policy.chooseRung(context(rung)), policy.switchReason);
  }
}
