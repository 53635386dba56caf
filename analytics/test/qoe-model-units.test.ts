/**
 * The pure parts of the QoE model, table-driven: the score's published end points, the time-series
 * interval choice and minute alignment, and the envelope context the consumer passes through.
 */

import { makeBeacon } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import { beaconRowStep } from '../src/beacon-row-step.js';
import { parseEnvelopeStep } from '../src/parse-envelope-step.js';
import { qoeScore, type ScoreInputs } from '../src/qoe-score.js';
import { alignToMinutes, chooseInterval } from '../src/time-range.js';
import { createValidateBeaconStep } from '../src/validate-beacon-step.js';

const perfect: ScoreInputs = {
  plays: 10,
  startFailures: 0,
  playbackFailures: 0,
  startupP50Ms: 800,
  rebufferRatio: 0,
  upscaleTimeMs: 0,
  playTimeMs: 60_000,
};

describe('qoeScore', () => {
  it.each([
    ['no plays', { ...perfect, plays: 0 }, null],
    ['everything perfect', perfect, 100],
    // startup 0, smoothness 0, reliability 0, quality 0
    [
      'everything worthless',
      {
        ...perfect,
        startFailures: 6,
        playbackFailures: 4,
        startupP50Ms: 12_000,
        rebufferRatio: 0.2,
        upscaleTimeMs: 60_000,
      },
      0,
    ],
    // startup 1 − (5 500 − 1 000) / 9 000 = 0.5 → 100 − 0.3 × 50 = 85
    ['a 5.5 s startup', { ...perfect, startupP50Ms: 5_500 }, 85],
    // smoothness 1 − 0.05 / 0.1 = 0.5 → 85
    ['5 % stalled', { ...perfect, rebufferRatio: 0.05 }, 85],
    // reliability 1 − 5 / 10 = 0.5 → 85
    ['half the plays failing', { ...perfect, startFailures: 2, playbackFailures: 3 }, 85],
    // quality 1 − 30 000 / 60 000 = 0.5 → 100 − 0.1 × 50 = 95
    ['half the time upscaled', { ...perfect, upscaleTimeMs: 30_000 }, 95],
    // no view started: startup counts 0 → 70
    ['no first frame at all', { ...perfect, startupP50Ms: null, rebufferRatio: null, playTimeMs: 0 }, 70],
  ] as const)('%s', (_what, inputs, expected) => {
    expect(qoeScore(inputs)?.score ?? null).toBe(expected);
  });
});

describe('chooseInterval and alignToMinutes', () => {
  const HOUR_MS = 3600_000;
  it.each([
    [HOUR_MS, '1m'], // 60 points
    [24 * HOUR_MS, '15m'], // 1 440 minutes > 200; 288 five-minute points > 200; 96 quarter hours
    [7 * 24 * HOUR_MS, '1h'], // 168
    [30 * 24 * HOUR_MS, '6h'], // 120
    [366 * 24 * HOUR_MS, '1d'], // 366 days: more than 200 at any size; the coarsest
  ])('auto over %s ms → %s', (spanMs, name) => {
    expect(chooseInterval('auto', { fromMs: 0, toMs: spanMs })).toMatchObject({ ok: true, name });
  });

  it('refuses a given interval that would return more than 1 500 points, naming the way out', () => {
    expect(chooseInterval('1m', { fromMs: 0, toMs: 2 * 24 * HOUR_MS })).toEqual({
      ok: false,
      message: 'interval 1m over this range gives more than 1500 points; use a longer interval or "auto"',
    });
  });

  it('rounds from down and to up to whole minutes', () => {
    expect(alignToMinutes({ fromMs: 90_500, toMs: 120_001 })).toEqual({ fromMs: 60_000, toMs: 180_000 });
    expect(alignToMinutes({ fromMs: 60_000, toMs: 120_000 })).toEqual({ fromMs: 60_000, toMs: 120_000 });
  });
});

describe('the envelope context on its way to the row', () => {
  const message = (value: unknown) => ({
    topic: 't',
    partition: 0,
    offset: '7',
    timestamp: 0,
    key: 'k',
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  });
  const validate = createValidateBeaconStep();
  const beacon = makeBeacon();

  it('lands in the context columns, NULL where the producer sent nothing', () => {
    const context = {
      browser: 'Edge',
      browserVersion: '131',
      os: 'Windows',
      deviceClass: 'desktop',
      country: 'FR',
      ipPrefix: '198.51.100.0',
      clockOffsetMs: -2500,
    };
    const row = (envelope: unknown) => {
      const parsed = parseEnvelopeStep(message(envelope));
      if (parsed.kind !== 'ok') throw new Error(parsed.detail);
      const valid = validate(parsed.value[0]!);
      if (valid.kind !== 'ok') throw new Error(valid.detail);
      const mapped = beaconRowStep(valid.value, message(envelope));
      if (mapped.kind !== 'ok') throw new Error(mapped.detail);
      return mapped.value;
    };
    expect(row({ beacon, receivedAtMs: 1, context })).toMatchObject({
      browser: 'Edge',
      browser_version: '131',
      os: 'Windows',
      device_class: 'desktop',
      country: 'FR',
      ip_prefix: '198.51.100.0',
      clock_offset_ms: -2500,
    });
    expect(row({ beacon, receivedAtMs: 1 })).toMatchObject({
      browser: null,
      country: null,
      clock_offset_ms: null,
    });
  });

  it.each([
    ['a context that is not an object', 'x', /"context" is not an object/],
    ['a browser that is not a string', { browser: 7 }, /"context.browser" is not a string/],
    ['an over-long country', { country: 'x'.repeat(65) }, /"context.country" is not a string of at most 64/],
    ['a fractional clock offset', { clockOffsetMs: 1.5 }, /"context.clockOffsetMs" is not an integer/],
  ])('dead-letters %s as invalid_envelope, saying which field', (_what, context, detail) => {
    const result = parseEnvelopeStep(message({ beacon, receivedAtMs: 1, context }));
    expect(result).toMatchObject({ kind: 'dead_letter', reason: 'invalid_envelope' });
    expect(result.kind === 'dead_letter' ? result.detail : '').toMatch(detail);
  });
});
