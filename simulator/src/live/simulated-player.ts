/**
 * A headless stand-in for a video.js 8 player with VHS, implementing the player SDK's `PlayerLike`
 * (player-sdk/src/player-like.ts) so the SDK's own `monitor()` measures a simulated viewer exactly
 * as it measures a real one: events, playhead, buffered range, quality levels with `change`, the
 * tech's video element (picture and player size) and `tech().vhs` with its request hooks
 * (`xhr.onRequest`, where the SDK adds CMCD and watches each request), parsed main playlist and
 * bandwidth estimate. The live viewer drives it; nothing here touches the network.
 */
import type {
  ElementLike,
  Listener,
  PlayerLike,
  QualityLevelLike,
  QualityLevelListLike,
  TechLike,
  TimeRangesLike,
  VhsLike,
  VhsPlaylistLike,
  VhsRequestHook,
  VhsRequestOptions,
  XhrLike,
} from './sdk-types.js';

/** The XMLHttpRequest slice the SDK's network controller listens to (readystatechange, abort, loadend). */
export interface SimulatedXhr {
  readonly readyState: number;
  readonly status: number;
  addEventListener(type: string, listener: (event: { loaded?: number }) => void): void;
}

/** One request as the hooks rewrote it, and the calls that tell the SDK how it went. */
export interface HookedRequest {
  /** The URI to fetch: the SDK has added `CMCD=` to it. */
  uri: string;
  headers: Record<string, string>;
  headersReceived(status: number): void;
  /** The body is complete (or failed with `status`); `loaded` bytes crossed the network. */
  loadEnd(loaded: number, status: number): void;
  aborted(loaded: number): void;
}

class Emitter {
  private readonly listeners = new Map<string, Set<Listener>>();
  on(type: string, fn: Listener): void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(fn);
  }
  off(type: string, fn: Listener): void {
    this.listeners.get(type)?.delete(fn);
  }
  emit(type: string, event?: unknown): void {
    for (const fn of [...(this.listeners.get(type) ?? [])]) {
      try {
        fn(event ?? { type });
      } catch {
        // A listener's bug must not stop the simulated player (video.js isolates them too).
      }
    }
  }
}

const XHR_HEADERS_RECEIVED = 2;
const XHR_DONE = 4;

function createXhr(): SimulatedXhr & {
  fire(type: string, event: { loaded?: number }): void;
  set(readyState: number, status: number): void;
} {
  const listeners = new Map<string, ((event: { loaded?: number }) => void)[]>();
  let readyState = 1;
  let status = 0;
  return {
    get readyState() {
      return readyState;
    },
    get status() {
      return status;
    },
    addEventListener(type, listener) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    fire(type, event) {
      for (const listener of listeners.get(type) ?? []) {
        try {
          listener(event);
        } catch {
          // As in a browser: a throwing listener does not cancel the request.
        }
      }
    },
    set(nextState, nextStatus) {
      readyState = nextState;
      status = nextStatus;
    },
  };
}

export interface SimulatedRendition {
  bandwidth: number;
  width: number;
  height: number;
  /** The parsed media playlist VHS would hold (segments with resolvedUri, duration, map). */
  playlist: VhsPlaylistLike;
}

export interface SimulatedPlayer extends PlayerLike {
  /** Player (CSS) size of the simulated element. */
  readonly viewport: { width: number; height: number };
  setRenditions(renditions: readonly SimulatedRendition[], audio: VhsPlaylistLike | undefined): void;
  /**
   * VHS selected another media playlist: its `usage` event naming the cause (what the SDK reports
   * as `switchReason`), then quality levels' `selectedIndex` and `change`.
   */
  selectRendition(index: number, reason?: string): void;
  /** The rung under the playhead changed: the element's picture size and `resize`. */
  showRendition(index: number): void;
  setBandwidth(bitsPerSecond: number): void;
  setDuration(seconds: number): void;
  /** Runs the request hooks as VHS' xhr wrapper does, for a request about to be sent. */
  hookRequest(uri: string, requestType: string): HookedRequest;
  /** Playhead and buffer as the viewer's loop keeps them. */
  setPosition(currentTimeSec: number, bufferedStartSec: number, bufferedEndSec: number): void;
  setPaused(paused: boolean): void;
  setEnded(ended: boolean): void;
  /** Calls the SDK's pending frame callbacks (the first frame is on screen). */
  presentFrame(): void;
  /** The frame source the SDK's startup controller waits on. */
  readonly frames: { next(callback: () => void): () => void };
  emit(type: string, event?: unknown): void;
}

export function createSimulatedPlayer(viewport: { width: number; height: number }): SimulatedPlayer {
  const events = new Emitter();
  const techEvents = new Emitter();
  const levelEvents = new Emitter();
  const hooks = new Set<VhsRequestHook>();
  let levels: QualityLevelLike[] = [];
  let selectedIndex = -1;
  let currentTime = 0;
  let bufferedStart = 0;
  let bufferedEnd = 0;
  let paused = true;
  let ended = false;
  let duration: number | undefined;
  let frameCallbacks: (() => void)[] = [];
  // The video element: what the SDK's heartbeat reads for the picture on screen and the player size.
  const element = {
    videoWidth: 0,
    videoHeight: 0,
    clientWidth: viewport.width,
    clientHeight: viewport.height,
  };

  const qualityLevels = {
    get length() {
      return levels.length;
    },
    get selectedIndex() {
      return selectedIndex;
    },
    on: (type: string, fn: Listener) => levelEvents.on(type, fn),
    off: (type: string, fn: Listener) => levelEvents.off(type, fn),
  } as QualityLevelListLike;

  const vhs: VhsLike & { playlists: { main: { playlists: VhsPlaylistLike[] } } } = {
    xhr: {
      onRequest: (hook) => hooks.add(hook),
      offRequest: (hook) => hooks.delete(hook),
    },
    playlists: { main: { playlists: [] } },
  };
  const tech: TechLike = {
    el: () => element as unknown as ElementLike,
    vhs,
    on: (type, fn) => techEvents.on(type, fn),
    off: (type, fn) => techEvents.off(type, fn),
  };
  const buffered = {
    get length() {
      return bufferedEnd > bufferedStart ? 1 : 0;
    },
    start: () => bufferedStart,
    end: () => bufferedEnd,
  } as unknown as TimeRangesLike;

  return {
    viewport,
    frames: {
      next(callback) {
        frameCallbacks.push(callback);
        return () => {
          frameCallbacks = frameCallbacks.filter((other) => other !== callback);
        };
      },
    },
    on: (type, fn) => events.on(type, fn),
    off: (type, fn) => events.off(type, fn),
    emit: (type, event) => events.emit(type, event),
    currentTime: () => currentTime,
    paused: () => paused,
    seeking: () => false,
    error: () => null,
    duration: () => duration,
    buffered: () => buffered,
    playbackRate: () => 1,
    ended: () => ended,
    currentType: () => 'application/x-mpegURL',
    qualityLevels: () => qualityLevels,
    tech: () => tech,
    setRenditions(renditions, audio) {
      levels = renditions.map((rendition, index) => ({
        id: String(index),
        bitrate: rendition.bandwidth,
        width: rendition.width,
        height: rendition.height,
      }));
      levels.forEach((level, index) => {
        (qualityLevels as unknown as Record<number, QualityLevelLike>)[index] = level;
      });
      vhs.playlists.main.playlists = renditions.map((rendition) => rendition.playlist);
      if (audio) {
        (vhs.playlists.main as { mediaGroups?: unknown }).mediaGroups = {
          AUDIO: { audio: { default: { playlists: [audio] } } },
        };
      }
    },
    selectRendition(index, reason) {
      if (index === selectedIndex) return;
      if (reason !== undefined) techEvents.emit('usage', { name: `vhs-rendition-change-${reason}` });
      selectedIndex = index;
      levelEvents.emit('change', { selectedIndex: index });
    },
    showRendition(index) {
      const level = levels[index];
      if (!level || (element.videoWidth === level.width && element.videoHeight === level.height)) return;
      element.videoWidth = level.width ?? 0;
      element.videoHeight = level.height ?? 0;
      events.emit('resize');
    },
    setBandwidth(bitsPerSecond) {
      vhs.bandwidth = bitsPerSecond;
    },
    setDuration(seconds) {
      duration = seconds;
      events.emit('durationchange');
    },
    hookRequest(uri, requestType) {
      let options: VhsRequestOptions = { uri, requestType, headers: {} };
      for (const hook of hooks) options = hook(options) ?? options;
      const xhr = createXhr();
      options.beforeSend?.(xhr as unknown as XhrLike);
      return {
        uri: options.uri,
        headers: options.headers ?? {},
        headersReceived(status) {
          xhr.set(XHR_HEADERS_RECEIVED, status);
          xhr.fire('readystatechange', {});
        },
        loadEnd(loaded, status) {
          xhr.set(XHR_DONE, status);
          xhr.fire('readystatechange', {});
          xhr.fire('loadend', { loaded });
        },
        aborted(loaded) {
          xhr.set(XHR_DONE, 0);
          xhr.fire('abort', {});
          xhr.fire('loadend', { loaded });
        },
      };
    },
    setPosition(time, start, end) {
      currentTime = time;
      bufferedStart = start;
      bufferedEnd = end;
    },
    setPaused(value) {
      paused = value;
    },
    setEnded(value) {
      ended = value;
    },
    presentFrame() {
      const callbacks = frameCallbacks;
      frameCallbacks = [];
      for (const callback of callbacks) callback();
    },
  };
}
