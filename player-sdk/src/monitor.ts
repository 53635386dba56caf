/**
 * `monitor(player, options)`: QoE beacons, CMCD and live stats for one view of one video on an
 * existing video.js player. It composes one controller per concern; each registers and removes its
 * own listeners. Nothing here can throw into the player or make it wait.
 */
import type { Beacon, BeaconEvent, RecommendationReason } from '@streamloop/core/schemas/beacon';
import {
  type BeaconFields,
  type BeaconMetadata,
  type BeaconStamp,
  createBeaconFactory,
  type Emit,
  toMs,
} from './beacon-factory.js';
import { type Clock, createBrowserClock } from './clock.js';
import type { CmcdMode, CmcdState } from './cmcd.js';
import { createErrorController } from './error-controller.js';
import { createFrameCounter } from './frame-counter.js';
import { createPlayerFrameSource, type FrameSource } from './frame-source.js';
import { createHeartbeatController } from './heartbeat-controller.js';
import { isValidId, type KeyValueStorage, loadViewerId, randomId } from './ids.js';
import { createLifecycleController } from './lifecycle-controller.js';
import { createNetworkController } from './network-controller.js';
import { createBrowserPageEvents, type PageEvents } from './page-events.js';
import { bufferAheadSeconds, type Listener, type PlayerLike } from './player-like.js';
import { createRebufferController } from './rebuffer-controller.js';
import { createRenditionController } from './rendition-controller.js';
import { createSeekController } from './seek-controller.js';
import { createStartupController } from './startup-controller.js';
import { type PlaybackStats, statsState } from './stats.js';
import { createTransport, type TransportOptions } from './transport-controller.js';

// Everything a host other than a browser page needs to drive monitor() (the simulator's live mode
// in Node imports '@streamloop/player-sdk/monitor'), as types: no code is added to the bundle.
export type { BeaconMetadata } from './beacon-factory.js';
export type { Clock } from './clock.js';
export type { FrameSource } from './frame-source.js';
export type { KeyValueStorage } from './ids.js';
export type { HideReason, PageEvents, PageHandlers } from './page-events.js';
export type {
  Listener,
  PlayerError,
  PlayerLike,
  QualityLevelLike,
  QualityLevelListLike,
  TechLike,
  VhsLike,
  VhsRequestHook,
  VhsRequestOptions,
} from './player-like.js';
export type { FetchLike, ResponseLike, TransportOptions } from './transport-controller.js';

export interface MonitorOptions {
  /** Catalog id of the video being played. */
  videoId: string;
  /** Where beacons are POSTed, e.g. `https://example.com/v1/beacons` or `/v1/beacons`. */
  collectorUrl: string;
  /** Anonymous viewer id; by default one is generated and kept in localStorage. */
  viewerId?: string;
  /** Groups the views of one page; by default a new one per monitor. Also CMCD's `sid`. */
  sessionId?: string;
  metadata?: BeaconMetadata;
  /**
   * This view began from a click on a recommendation of this reason (the page the viewer came from
   * said so, e.g. `/watch/:id?from=co-watch`). Carried on `viewstart` only: it describes how the view
   * began, so recommended plays' QoE can be told from others'.
   */
  recommendationReason?: RecommendationReason;
  /** CMCD on manifest and segment requests: as a `CMCD=` query parameter (default), as headers, or off. */
  cmcd?: CmcdMode | false;
  /** Reported on `viewstart`; `createPlayer` fills in video.js and its version. */
  playerName?: string;
  playerVersion?: string;
  /** Seams for tests and unusual hosts; browsers need none of them. */
  clock?: Clock;
  page?: PageEvents;
  frames?: FrameSource;
  storage?: KeyValueStorage;
  transport?: Omit<TransportOptions, 'url'>;
  heartbeatIntervalMs?: number;
  /** Runs `task` later, off the current event's path; default: idle time (at most 1 s away), else a timer. */
  defer?: (task: () => void) => void;
}

export interface Monitor {
  readonly sessionId: string;
  readonly viewId: string;
  readonly viewerId: string;
  setMetadata(metadata: BeaconMetadata): void;
  /** Records play intent now, instead of waiting for the player's first `play`. */
  playRequested(): void;
  /** The view so far, for a live overlay ("stats for nerds"); cheap enough to call every second. */
  getStats(): PlaybackStats;
  /** Calls `listener` with each beacon as it is made; returns the function that stops it. */
  onBeacon(listener: (beacon: Beacon) => void): () => void;
  /**
   * A recommended title shown beside this view (`impression`, once per title shown) or chosen by the
   * viewer (`click`). A click is handed to the browser at once (sendBeacon), so navigating away in
   * the same task loses nothing. Malformed input is the page's bug: a TypeError naming the field.
   */
  recommendation(action: 'impression' | 'click', item: RecommendationItem): void;
  /** Sends queued beacons now. */
  flush(): void;
  /** Ends the view (if it has not ended), sends what is queued and removes every listener. */
  destroy(): void;
}

/** A title in a recommendation row, as `Monitor.recommendation` takes it. */
export interface RecommendationItem {
  videoId: string;
  reason: RecommendationReason;
  /** Slot in the row, 0 first (at most 49, the recommendations API's largest answer). */
  position: number;
}

// A Record, so a reason added to core's union fails to compile here until it is listed. Compared to
// `true`, not looked up with Object.hasOwn (ES2022, beyond the bundle's ES2020 target): inherited
// names such as 'toString' are functions, never `true`.
const RECOMMENDATION_REASONS: Record<string, true | undefined> = {
  'co-watch': true,
  popular: true,
} satisfies Record<RecommendationReason, true>;
const isRecommendationReason = (value: unknown): value is RecommendationReason =>
  typeof value === 'string' && RECOMMENDATION_REASONS[value] === true;

/** The beacon fields of a recommendation, or a TypeError naming the first malformed field. */
function recommendationFields(action: unknown, item: RecommendationItem): BeaconFields {
  const invalid = (field: string, value: unknown) =>
    new TypeError(`streamloop: invalid recommendation ${field} ${JSON.stringify(value)}`);
  if (action !== 'impression' && action !== 'click') throw invalid('action', action);
  if (!isValidId(item?.videoId)) throw invalid('videoId', item?.videoId);
  if (!isRecommendationReason(item.reason)) throw invalid('reason', item.reason);
  if (!Number.isInteger(item.position) || item.position < 0 || item.position > 49)
    throw invalid('position', item.position);
  return {
    recommendedVideoId: item.videoId,
    recommendationReason: item.reason,
    recommendationPosition: item.position,
  };
}

/** Idle time where the browser has it (within 1 s), else the next task. */
function defer(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => task(), { timeout: 1000 });
  else setTimeout(task, 0);
}

const browserStorage = (): KeyValueStorage | undefined => {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // Accessing localStorage throws when storage is blocked.
  }
};

/** Where the page is and how big, for `viewstart` (nothing beyond the origin of its URL). */
function pageFields(): BeaconFields {
  if (typeof window === 'undefined') return {};
  return {
    pageOrigin: window.location?.origin?.slice(0, 256),
    viewportWidth: window.innerWidth,
    viewportHeight: window.innerHeight,
    devicePixelRatio: window.devicePixelRatio,
  };
}

export function monitor(player: PlayerLike, options: MonitorOptions): Monitor {
  if (!isValidId(options.videoId))
    throw new TypeError(`streamloop: invalid videoId ${JSON.stringify(options.videoId)}`);
  const { recommendationReason } = options;
  if (recommendationReason !== undefined && !isRecommendationReason(recommendationReason))
    throw new TypeError(`streamloop: invalid recommendationReason ${JSON.stringify(recommendationReason)}`);
  const clock = options.clock ?? createBrowserClock();
  const sessionId = isValidId(options.sessionId) ? options.sessionId : randomId();
  const viewerId = isValidId(options.viewerId)
    ? options.viewerId
    : loadViewerId(options.storage ?? browserStorage());

  // Steady playback makes a heartbeat every 10 s; two travel in one POST (the view's other events and
  // the view end still leave within flushIntervalMs, or at once when the page goes away).
  const transport = createTransport({
    url: options.collectorUrl,
    heartbeatHoldMs: 4 * (options.transport?.flushIntervalMs ?? 5000),
    ...options.transport,
  });
  const beacons = createBeaconFactory({
    sessionId,
    viewerId,
    videoId: options.videoId,
    clock,
    playhead: () => player.currentTime(),
    ...(options.metadata ? { metadata: options.metadata } : {}),
    // The loss is never silent: once the queue had to drop beacons, every later one says how many.
    always: () => {
      const { dropped } = transport.stats();
      return dropped > 0 ? { droppedBeacons: dropped } : {};
    },
  });
  const listeners = new Set<(beacon: Beacon) => void>();
  // Beacons are made off the path of the event that causes them (play(), the first frame, a VHS
  // request): the event is stamped as it happens (both clocks, the playhead), and its beacon is made,
  // queued and handed to listeners in order, in one later task (idle time), or at once when the
  // monitor has to send (flush, view end, unload).
  const stamped: { event: BeaconEvent; fields: BeaconFields | undefined; at: BeaconStamp }[] = [];
  const later = options.defer ?? defer;
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    for (let next = stamped.shift(); next !== undefined; next = stamped.shift()) {
      const beacon = beacons.make(next.event, next.fields, next.at);
      transport.enqueue(beacon);
      for (const listener of listeners) {
        try {
          listener(beacon);
        } catch {
          // An app's listener is not our playback's problem.
        }
      }
    }
  };
  const emit: Emit = (event, fields) => {
    stamped.push({ event, fields, at: beacons.stamp() });
    if (scheduled) return;
    scheduled = true;
    later(drain);
  };
  const mediaDurationMs = (): number | undefined => {
    const duration = player.duration?.();
    return duration === undefined || !Number.isFinite(duration) ? undefined : toMs(duration * 1000);
  };

  emit('viewstart', {
    playerName: options.playerName ?? 'video.js',
    playerVersion: options.playerVersion,
    mediaDurationMs: mediaDurationMs(),
    recommendationReason,
    ...pageFields(),
  });
  // Made now, not later: it is no event's path, and a host counting beacons through onBeacon (the
  // simulator's live mode) knows viewstart was made before it could add a listener.
  drain();

  let starved = false;
  let heartbeatRefresh = (): void => {};
  const rebuffer = createRebufferController({
    player,
    clock,
    emit,
    onChange(stalled) {
      if (stalled) starved = true;
      heartbeatRefresh();
    },
  });
  const seek = createSeekController({
    player,
    clock,
    emit,
    onChange: () => heartbeatRefresh(),
    stalled: () => rebuffer.stalled(),
  });
  const rendition = createRenditionController({ player, emit });
  const errors = createErrorController({ player, emit });
  const frames = createFrameCounter(player);
  const startup = createStartupController({
    player,
    clock,
    emit,
    frames: options.frames ?? createPlayerFrameSource(player),
    onFirstFrame() {
      rebuffer.firstFrame();
      seek.firstFrame();
      heartbeat.firstFrame();
    },
  });
  const cmcdState: CmcdState = {
    sessionId,
    contentId: options.videoId,
    urgent: () => !startup.started() || seek.seeking() || rebuffer.stalled(),
    takeStarved() {
      const was = starved;
      starved = false;
      return was;
    },
    bufferMs: () => bufferAheadSeconds(player) * 1000,
    playbackRate: () => (player.paused() ? 0 : (player.playbackRate?.() ?? 1)),
    format: () => (player.currentType?.()?.includes('dash') ? 'd' : 'h'),
    live: () => player.duration?.() === Number.POSITIVE_INFINITY,
  };
  const network = createNetworkController({
    player,
    clock,
    cmcd: options.cmcd ?? 'query',
    cmcdState,
    onFailure: (failure) => errors.requestFailed(failure),
  });
  const heartbeat = createHeartbeatController({
    player,
    clock,
    emit,
    ...(options.heartbeatIntervalMs ? { intervalMs: options.heartbeatIntervalMs } : {}),
    waiting: () => rebuffer.stalled() || seek.seeking(),
    rungOfSize: (width, height) => rendition.rungOfSize(width, height),
    counters: () => ({ ...network.take(), ...frames.take() }),
    defer: later,
  });
  heartbeatRefresh = () => heartbeat.refresh();

  const page = options.page ?? createBrowserPageEvents();
  const lifecycle = createLifecycleController({
    player,
    ...(page ? { page } : {}),
    onViewEnd() {
      rebuffer.close();
      seek.close();
      emit('viewend', { ...heartbeat.take(), mediaDurationMs: mediaDurationMs() });
    },
    flush: (unloading) => {
      drain();
      transport.flush(unloading ? 'unload' : 'normal');
    },
  });

  const getStats = (): PlaybackStats => {
    const view = heartbeat.totals();
    const stalls = rebuffer.totals();
    const seeks = seek.totals();
    const current = rendition.current();
    const net = network.totals();
    const frameTotals = frames.totals();
    return {
      sessionId,
      viewId: beacons.viewId,
      videoId: options.videoId,
      state: statsState({
        failed: errors.fatal(),
        requested: startup.requested(),
        started: startup.started(),
        ended: player.ended?.() ?? false,
        paused: player.paused(),
        stalled: rebuffer.stalled(),
        seeking: seek.seeking(),
      }),
      startupTimeMs: startup.startupTimeMs(),
      watchTimeMs: view.watchTimeMs,
      playTimeMs: view.playTimeMs,
      pauseTimeMs: view.pauseTimeMs,
      rebufferCount: stalls.count,
      rebufferDurationMs: stalls.durationMs,
      seekCount: seeks.count,
      seekDurationMs: seeks.durationMs,
      renditionSwitches: rendition.switches(),
      bitrateKbps: current?.bitrateKbps,
      width: current?.width,
      height: current?.height,
      displayedBitrateKbps: view.displayed?.bitrateKbps,
      displayedWidth: view.displayed?.width,
      displayedHeight: view.displayed?.height,
      playerWidth: view.playerWidth,
      playerHeight: view.playerHeight,
      upscaleTimeMs: view.upscaleTimeMs,
      downscaleTimeMs: view.downscaleTimeMs,
      bufferMs: Math.round(bufferAheadSeconds(player) * 1000),
      droppedFrames: frameTotals?.droppedFrames,
      decodedFrames: frameTotals?.decodedFrames,
      requestCount: net.requestCount,
      requestFailures: net.requestFailures,
      bytesDownloaded: net.bytesDownloaded,
      throughputKbps: net.throughputKbps,
      bandwidthEstimateKbps: net.estimateKbps,
      lastTtfbMs: net.lastTtfbMs,
      completionPercent: view.completionPercent,
      errorCount: errors.count(),
      lastError: errors.last(),
      lastCmcd: net.lastCmcd,
      beacons: ((stats) => ({ ...stats, pending: stats.pending + stamped.length }))(transport.stats()),
    };
  };

  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    lifecycle.end('dispose');
    for (const controller of [
      startup,
      rebuffer,
      seek,
      heartbeat,
      rendition,
      errors,
      network,
      lifecycle,
      transport,
    ]) {
      controller.destroy();
    }
    listeners.clear();
    player.off('dispose', onDispose);
  };
  const onDispose: Listener = () => destroy();
  player.on('dispose', onDispose);

  return {
    sessionId,
    viewId: beacons.viewId,
    viewerId,
    setMetadata: (metadata) => {
      // Labels apply from now on: beacons of earlier events are made with the labels they had.
      drain();
      beacons.setMetadata(metadata);
    },
    playRequested: () => startup.requestPlay(),
    getStats,
    onBeacon(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recommendation(action, item) {
      emit(
        action === 'click' ? 'recommendationclick' : 'recommendationimpression',
        recommendationFields(action, item),
      );
      // A click is followed by navigation, often in the same task: send it the way an unloading page
      // does (sendBeacon outlives the page) instead of trusting the next pagehide to come in time.
      if (action === 'click') {
        drain();
        transport.flush('unload');
      }
    },
    flush: () => {
      drain();
      transport.flush('normal');
    },
    destroy,
  };
}
