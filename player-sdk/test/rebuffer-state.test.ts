import { describe, expect, it } from 'vitest';
import { createRebufferState, type RebufferInput, type RebufferOutput } from '../src/rebuffer-state.js';

type Step = [atMs: number, input: RebufferInput];

/** Runs the steps and keeps only the transitions that produced a beacon. */
function run(steps: Step[]): string[] {
  const state = createRebufferState();
  const out: string[] = [];
  for (const [at, input] of steps) {
    const result: RebufferOutput = state.next(input, at);
    if (result?.type === 'start') out.push(`start@${at}`);
    if (result?.type === 'end') out.push(`end ${result.durationMs}ms@${at}`);
  }
  return out;
}

describe('rebuffer state machine', () => {
  it.each<[string, Step[], string[]]>([
    [
      'waiting before the first frame is startup, not a stall',
      [
        [0, 'waiting'],
        [500, 'progress'],
        [600, 'firstframe'],
      ],
      [],
    ],
    [
      'a stall after the first frame, ended by the playhead moving',
      [
        [0, 'firstframe'],
        [1000, 'waiting'],
        [1750, 'progress'],
      ],
      ['start@1000', 'end 750ms@1750'],
    ],
    [
      'repeated waiting events during one stall are one stall',
      [
        [0, 'firstframe'],
        [1000, 'waiting'],
        [1200, 'waiting'],
        [2000, 'progress'],
      ],
      ['start@1000', 'end 1000ms@2000'],
    ],
    [
      'waiting during a seek is seek latency until playback moves again',
      [
        [0, 'firstframe'],
        [1000, 'seeking'],
        [1010, 'waiting'],
        [1500, 'seeked'],
        [1600, 'waiting'],
        [2000, 'progress'],
      ],
      [],
    ],
    [
      'after a seek completes and plays, the next waiting is a stall again',
      [
        [0, 'firstframe'],
        [1000, 'seeking'],
        [1500, 'seeked'],
        [1600, 'progress'],
        [3000, 'waiting'],
        [3400, 'progress'],
      ],
      ['start@3000', 'end 400ms@3400'],
    ],
    [
      'a seek during a stall ends the stall at the seek',
      [
        [0, 'firstframe'],
        [1000, 'waiting'],
        [1300, 'seeking'],
        [1400, 'waiting'],
        [2000, 'progress'],
      ],
      ['start@1000', 'end 300ms@1300'],
    ],
    [
      'pausing during a stall ends it (the viewer stopped waiting)',
      [
        [0, 'firstframe'],
        [1000, 'waiting'],
        [4000, 'pause'],
      ],
      ['start@1000', 'end 3000ms@4000'],
    ],
    [
      'the media ending closes a stall',
      [
        [0, 'firstframe'],
        [1000, 'waiting'],
        [1100, 'ended'],
      ],
      ['start@1000', 'end 100ms@1100'],
    ],
  ])('%s', (_name, steps, expected) => {
    expect(run(steps)).toEqual(expected);
  });

  it('close() reports an open stall up to now, and nothing when none is open', () => {
    const state = createRebufferState();
    state.next('firstframe', 0);
    expect(state.close(10)).toBeUndefined();
    state.next('waiting', 100);
    expect(state.close(350)).toEqual({ type: 'end', durationMs: 250 });
    expect(state.close(400)).toBeUndefined();
  });
});
