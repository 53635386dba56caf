/**
 * Which experiment definitions an encoding engineer may create: arms must differ in what their
 * viewers get — another ladder, or the same ladder with the start-rung hint on in one arm and off in
 * the other (issue 14) — and the 400 says which arms clash and how to fix them.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { armServesStartHint, type ExperimentArm, parseExperimentDefinition } from '../src/experiments.js';

function makeDefinition(arms: ExperimentArm[]) {
  return {
    name: 'start-rung hint',
    scope: { videoIds: ['video-1'] },
    arms,
    primaryMetric: 'startup_time_ms',
    guardrails: [],
    minimumViewersPerArm: 100,
  };
}

const control = (overrides: Partial<ExperimentArm> = {}): ExperimentArm => ({
  name: 'control',
  ladderId: 'default',
  control: true,
  trafficPercent: 50,
  ...overrides,
});
const treatment = (overrides: Partial<ExperimentArm> = {}): ExperimentArm => ({
  name: 'treatment',
  ladderId: 'default',
  trafficPercent: 50,
  ...overrides,
});

/** The 400's message, or undefined when the definition is accepted. */
function refusal(arms: ExperimentArm[]): string | undefined {
  try {
    parseExperimentDefinition(makeDefinition(arms));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('ERR_VALIDATION');
    return (err as AppError).message;
  }
}

describe('experiment arms on one ladder', () => {
  it.each([
    { case: 'hint off in the treatment arm', arms: [control(), treatment({ startHint: false })] },
    { case: 'hint off in control', arms: [control({ startHint: false }), treatment({ startHint: true })] },
    {
      case: 'one version of the ladder named twice',
      arms: [control({ ladderVersion: 2 }), treatment({ ladderVersion: 2, startHint: false })],
    },
    { case: 'different ladders, hint as default', arms: [control(), treatment({ ladderId: 'no-low' })] },
  ])('accepts arms that differ in what viewers get: $case', ({ arms }) => {
    expect(refusal(arms)).toBeUndefined();
  });

  it('keeps startHint on the parsed arm, so delivery can read it', () => {
    const parsed = parseExperimentDefinition(makeDefinition([control(), treatment({ startHint: false })]));
    expect(parsed.arms.map(armServesStartHint)).toEqual([true, false]);
  });

  it.each([
    { case: 'both default', arms: [control(), treatment()] },
    // Absent is the default, which is on: the same as saying true.
    { case: 'default and true', arms: [control(), treatment({ startHint: true })] },
    { case: 'both off', arms: [control({ startHint: false }), treatment({ startHint: false })] },
  ])('refuses two arms that serve one ladder the same way ($case), naming them and the fix', ({ arms }) => {
    expect(refusal(arms)).toBe(
      "invalid experiment: /arms: arms 'control', 'treatment' serve the same ladder 'default' the same way: give each arm another ladder, or, to measure the start-rung hint, keep two arms on one ladder with startHint: false on one of them",
    );
  });

  it('refuses a third arm on a ladder two arms already split by the hint', () => {
    const third: ExperimentArm = { name: 'third', ladderId: 'default', trafficPercent: 20 };
    expect(
      refusal([control({ trafficPercent: 40 }), treatment({ trafficPercent: 40, startHint: false }), third]),
    ).toContain("arms 'control', 'treatment', 'third' serve the same ladder 'default' the same way");
  });

  it('refuses arms on one ladder that name different versions of it (a video carries one)', () => {
    expect(refusal([control({ ladderVersion: 1 }), treatment({ ladderVersion: 2, startHint: false })])).toBe(
      "invalid experiment: /arms: arms 'control', 'treatment' name different versions of ladder 'default', but a video carries one version of a ladder: give them the same ladderVersion (or none, for the newest)",
    );
  });

  it('refuses a startHint that is not a boolean', () => {
    expect(refusal([control(), treatment({ startHint: 'off' as unknown as boolean })])).toMatch(
      /\/arms\/1\/startHint/,
    );
  });
});
