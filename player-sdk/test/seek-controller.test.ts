import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSeekController } from '../src/seek-controller.js';
import { createEmitRecorder, createFakeClock, FakePlayer, useFakeTime } from './helpers.js';

function setup() {
  const player = new FakePlayer();
  const recorder = createEmitRecorder();
  const onChange = vi.fn();
  const controller = createSeekController({
    player,
    clock: createFakeClock(),
    emit: recorder.emit,
    onChange,
  });
  player.startPlaying();
  player.advance(5);
  controller.firstFrame();
  return { player, recorder, controller, onChange };
}

/** A seek while playing: seeking, seeked after `readyAfterMs`, frames move again `resumeAfterMs` later. */
function seekWhilePlaying(player: FakePlayer, to: number, readyAfterMs: number, resumeAfterMs: number): void {
  player.isSeeking = true;
  player.time = to;
  player.fire('seeking');
  player.fire('waiting');
  vi.advanceTimersByTime(readyAfterMs);
  player.isSeeking = false;
  player.fire('seeked');
  vi.advanceTimersByTime(resumeAfterMs);
  player.fire('playing');
  player.advance(0.25);
}

describe('seek controller', () => {
  beforeEach(useFakeTime);
  afterEach(() => vi.useRealTimers());

  it('measures each seek from seeking to playback moving again, with where it came from', () => {
    const { player, recorder, controller } = setup();
    seekWhilePlaying(player, 20, 300, 100);
    player.advance(2);
    seekWhilePlaying(player, 8, 50, 0);
    expect(recorder.events).toEqual([
      { event: 'seekstart', fields: { seekFromMs: 5000 } },
      { event: 'seekend', fields: { seekDurationMs: 400 } },
      { event: 'seekstart', fields: { seekFromMs: 22_250 } },
      { event: 'seekend', fields: { seekDurationMs: 50 } },
    ]);
    expect(controller.totals()).toEqual({ count: 2, durationMs: 450 });
  });

  it('takes scrubbing (seeks while one is open) for one seek from where it began', () => {
    const { player, recorder } = setup();
    player.isSeeking = true;
    for (const to of [10, 12, 14]) {
      player.time = to;
      player.fire('seeking');
      vi.advanceTimersByTime(100);
    }
    player.isSeeking = false;
    player.fire('seeked');
    player.fire('playing');
    expect(recorder.names()).toEqual(['seekstart', 'seekend']);
    expect(recorder.events[1]?.fields).toEqual({ seekDurationMs: 300 });
  });

  it('ends a seek made while paused at seeked', () => {
    const { player, recorder } = setup();
    player.pause();
    player.isSeeking = true;
    player.fire('seeking');
    vi.advanceTimersByTime(120);
    player.isSeeking = false;
    player.fire('seeked');
    expect(recorder.events.at(-1)).toEqual({ event: 'seekend', fields: { seekDurationMs: 120 } });
  });

  it('ignores seeks before the first frame (they are part of startup) and closes an open seek at view end', () => {
    const player = new FakePlayer();
    const recorder = createEmitRecorder();
    const controller = createSeekController({ player, clock: createFakeClock(), emit: recorder.emit });
    player.seekTo(30);
    expect(recorder.events).toEqual([]);
    controller.firstFrame();
    player.isSeeking = true;
    player.fire('seeking');
    vi.advanceTimersByTime(700);
    controller.close();
    expect(recorder.events.at(-1)).toEqual({ event: 'seekend', fields: { seekDurationMs: 700 } });
    controller.destroy();
    expect(player.listenerCount()).toBe(0);
  });
});
