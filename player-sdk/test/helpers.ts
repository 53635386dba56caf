/**
 * A fake video.js player and clock for the controller tests: events are fired by the test, state
 * (playhead, paused, seeking) is set by the test, time moves only with vi's fake timers.
 */

import { Beacon } from '@streamloop/core/schemas/beacon';
import { createValidator } from '@streamloop/core/validate';
import { vi } from 'vitest';
import type { Clock } from '../src/clock.js';
import type { HideReason, PageEvents, PageHandlers } from '../src/page-events.js';
import type {
  Listener,
  PlayerError,
  PlayerLike,
  QualityLevelLike,
  QualityLevelListLike,
  TechLike,
  VhsLike,
  VhsRequestHook,
} from '../src/player-like.js';

export class FakeEmitter {
  private readonly listeners = new Map<string, Set<Listener>>();
  on(type: string, fn: Listener): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(fn);
    this.listeners.set(type, set);
  }
  off(type: string, fn: Listener): void {
    this.listeners.get(type)?.delete(fn);
  }
  fire(type: string, event: unknown = { type }): void {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn(event);
  }
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}

export class FakeQualityLevels extends FakeEmitter implements QualityLevelListLike {
  [index: number]: QualityLevelLike | undefined;
  length = 0;
  selectedIndex = -1;
  constructor(levels: QualityLevelLike[]) {
    super();
    levels.forEach((level, i) => {
      this[i] = level;
    });
    this.length = levels.length;
  }
  select(index: number): void {
    this.selectedIndex = index;
    this.fire('change');
  }
}

export class FakePlayer extends FakeEmitter implements PlayerLike {
  time = 0;
  isPaused = true;
  isSeeking = false;
  isEnded = false;
  mediaDuration = 30;
  mediaError: PlayerError | null = null;
  levels: FakeQualityLevels | undefined;
  /** The tech's video element and VHS, when a test gives the player some. */
  video: FakeVideo | undefined;
  vhs: FakeVhs | undefined;
  readonly techEvents = new FakeEmitter();
  currentTime(): number {
    return this.time;
  }
  duration(): number {
    return this.mediaDuration;
  }
  ended(): boolean {
    return this.isEnded;
  }
  tech(): TechLike | undefined {
    const { video, vhs, techEvents } = this;
    if (!video) return undefined;
    return {
      el: () => video as unknown as Element,
      on: (type, fn) => techEvents.on(type, fn),
      off: (type, fn) => techEvents.off(type, fn),
      ...(vhs ? { vhs } : {}),
    };
  }
  paused(): boolean {
    return this.isPaused;
  }
  seeking(): boolean {
    return this.isSeeking;
  }
  error(): PlayerError | null {
    return this.mediaError;
  }
  qualityLevels(): FakeQualityLevels {
    this.levels ??= new FakeQualityLevels([]);
    return this.levels;
  }

  /** What a browser does when playback starts: play, playing, then the playhead moves. */
  startPlaying(): void {
    this.isPaused = false;
    this.fire('play');
    this.fire('playing');
  }
  /** The playhead moves by `seconds` and the player says so. */
  advance(seconds: number): void {
    this.time += seconds;
    this.fire('timeupdate');
  }
  pause(): void {
    this.isPaused = true;
    this.fire('pause');
  }
  /** As browsers do it: at `seeking` the playhead already names the target. */
  seekTo(seconds: number): void {
    this.isSeeking = true;
    this.time = seconds;
    this.fire('seeking');
    this.fire('timeupdate');
    this.isSeeking = false;
    this.fire('seeked');
  }
}

/** The parts of a <video> element the SDK reads. */
export class FakeVideo {
  videoWidth = 0;
  videoHeight = 0;
  clientWidth = 640;
  clientHeight = 360;
  droppedVideoFrames = 0;
  totalVideoFrames = 0;
  getVideoPlaybackQuality() {
    return { droppedVideoFrames: this.droppedVideoFrames, totalVideoFrames: this.totalVideoFrames };
  }
}

/** VHS as far as the SDK uses it: the per-player request hook, the parsed manifest, the estimate. */
export class FakeVhs implements VhsLike {
  hooks = new Set<VhsRequestHook>();
  bandwidth = 4_194_304;
  playlists: NonNullable<VhsLike['playlists']> = { main: { playlists: [] } };
  xhr = {
    onRequest: (hook: VhsRequestHook) => void this.hooks.add(hook),
    offRequest: (hook: VhsRequestHook) => void this.hooks.delete(hook),
  };
  /** Runs the hooks the way VHS does for a request it is about to make. */
  request(uri: string, requestType: string) {
    let options = {
      uri,
      requestType,
      headers: {} as Record<string, string>,
    } as Parameters<VhsRequestHook>[0];
    for (const hook of this.hooks) options = hook(options);
    return options;
  }
}

/** An XMLHttpRequest as far as the network controller watches one. */
export class FakeXhr extends EventTarget {
  readyState = 1;
  status = 0;
  respond(status: number, bytes: number, { headersAfter = 0, bodyAfter = 0 } = {}): Promise<void> {
    return (async () => {
      await vi.advanceTimersByTimeAsync(headersAfter);
      this.readyState = 2;
      this.status = status;
      this.dispatchEvent(new Event('readystatechange'));
      await vi.advanceTimersByTimeAsync(bodyAfter);
      this.readyState = 4;
      this.dispatchEvent(new Event('readystatechange'));
      this.dispatchEvent(Object.assign(new Event('loadend'), { loaded: bytes }));
    })();
  }
  abort(bytes: number): void {
    this.dispatchEvent(new Event('abort'));
    this.readyState = 4;
    this.dispatchEvent(Object.assign(new Event('loadend'), { loaded: bytes }));
  }
}

/** A clock that follows vi's fake timers: `vi.advanceTimersByTime(ms)` moves both readings. */
export function createFakeClock(): Clock {
  const start = Date.now();
  return { now: () => Date.now(), monotonic: () => Date.now() - start + 1000 };
}

/** Fakes timers and Date only: Blob.text() and friends need the real setImmediate. */
export function useFakeTime(): void {
  vi.useFakeTimers({
    now: new Date('2025-01-01T00:00:00Z'),
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

export class FakePage implements PageEvents {
  private handlers: PageHandlers | undefined;
  subscribe(handlers: PageHandlers): () => void {
    this.handlers = handlers;
    return () => {
      this.handlers = undefined;
    };
  }
  hide(reason: HideReason): void {
    this.handlers?.onHide(reason);
  }
  show(): void {
    this.handlers?.onShow();
  }
  subscribed(): boolean {
    return this.handlers !== undefined;
  }
}

/** Collects what `emit` was given, as (event, fields) pairs. */
export function createEmitRecorder() {
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  return {
    events,
    names: () => events.map((e) => e.event),
    emit(event: string, fields: Record<string, unknown> = {}) {
      events.push({ event, fields });
    },
  };
}

export const validateBeacon = createValidator(Beacon);

/** An in-memory localStorage. */
export function createMemoryStorage(): {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
} {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}
