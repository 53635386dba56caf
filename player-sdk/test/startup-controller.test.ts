import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FrameSource } from '../src/frame-source.js';
import { createStartupController } from '../src/startup-controller.js';
import { createEmitRecorder, createFakeClock, FakePlayer, useFakeTime } from './helpers.js';

/** A frame source the test fires by hand, like requestVideoFrameCallback presenting a frame. */
function createManualFrames() {
  let pending: (() => void) | undefined;
  const frames: FrameSource = {
    next(callback) {
      pending = callback;
      return () => {
        pending = undefined;
      };
    },
  };
  return {
    frames,
    present() {
      const callback = pending;
      pending = undefined;
      callback?.();
    },
    waiting: () => pending !== undefined,
  };
}

function setup(withFrames = false) {
  const player = new FakePlayer();
  const recorder = createEmitRecorder();
  const manual = createManualFrames();
  const onFirstFrame = vi.fn();
  const controller = createStartupController({
    player,
    clock: createFakeClock(),
    emit: recorder.emit,
    frames: withFrames ? manual.frames : { next: () => () => {} },
    onFirstFrame,
  });
  return { player, recorder, manual, onFirstFrame, controller };
}

describe('startup controller', () => {
  beforeEach(useFakeTime);
  afterEach(() => vi.useRealTimers());

  it('measures from the play request to the playhead first advancing', () => {
    const { player, recorder, onFirstFrame } = setup();
    player.isPaused = false;
    player.fire('play');
    vi.advanceTimersByTime(800);
    player.fire('timeupdate'); // metadata loaded, nothing played yet
    vi.advanceTimersByTime(400);
    player.advance(0.25);
    player.advance(0.25);
    expect(recorder.events).toEqual([
      { event: 'playrequest', fields: {} },
      { event: 'firstframe', fields: { startupTimeMs: 1200 } },
    ]);
    expect(onFirstFrame).toHaveBeenCalledTimes(1);
  });

  it('takes autoplay intent from requestPlay and ignores the later play event', () => {
    const { player, recorder, controller } = setup();
    controller.requestPlay();
    vi.advanceTimersByTime(300);
    player.startPlaying();
    vi.advanceTimersByTime(200);
    player.advance(0.1);
    expect(recorder.events).toEqual([
      { event: 'playrequest', fields: {} },
      { event: 'firstframe', fields: { startupTimeMs: 500 } },
    ]);
  });

  it('uses the presented frame when the browser reports one, and ignores frames while paused', () => {
    const { player, recorder, manual, controller } = setup(true);
    controller.requestPlay();
    vi.advanceTimersByTime(100);
    manual.present(); // autoplay blocked: the paused element shows its first frame
    expect(recorder.names()).toEqual(['playrequest']);
    expect(manual.waiting()).toBe(true);
    player.isPaused = false;
    vi.advanceTimersByTime(150);
    manual.present();
    expect(recorder.events.at(-1)).toEqual({ event: 'firstframe', fields: { startupTimeMs: 250 } });
    expect(manual.waiting()).toBe(false);
  });

  it('does not take a seek before the first frame for playback', () => {
    const { player, recorder } = setup();
    player.isPaused = false;
    player.fire('play');
    player.seekTo(30);
    vi.advanceTimersByTime(100);
    player.fire('timeupdate');
    expect(recorder.names()).toEqual(['playrequest']);
    vi.advanceTimersByTime(100);
    player.advance(0.2);
    expect(recorder.events.at(-1)).toEqual({ event: 'firstframe', fields: { startupTimeMs: 200 } });
  });

  it('reports startup once per view and removes its listeners on destroy', () => {
    const { player, recorder, controller } = setup();
    player.startPlaying();
    player.advance(1);
    player.pause();
    player.startPlaying();
    player.advance(1);
    expect(recorder.names()).toEqual(['playrequest', 'firstframe']);
    controller.destroy();
    expect(player.listenerCount()).toBe(0);
  });
});
