import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { AppError, errorBody, reasonOf } from '../src/errors.js';
import { redactUrl } from '../src/logger.js';
import { metricName } from '../src/metrics.js';
import { Beacon, createBeaconValidator } from '../src/schemas/beacon.js';
import { TranscodeJob } from '../src/schemas/job.js';
import { makeBeacon } from '../src/testing.js';
import { createValidator } from '../src/validate.js';

const firstframe = (overrides: Record<string, unknown> = {}) =>
  makeBeacon({ event: 'firstframe', startupTimeMs: 850, ...overrides } as Partial<Beacon>);

describe('beacon schema', () => {
  const validate = createValidator(Beacon);

  it('accepts a well-formed beacon', () => {
    const beacon = firstframe();
    expect(validate(beacon)).toEqual({ ok: true, value: beacon });
  });

  it.each([
    ['an unknown event', { event: 'dance' }, '/event'],
    ['a negative startup time', { startupTimeMs: -5 }, '/startupTimeMs'],
    ['an id with markup', { sessionId: '<script>' }, '/sessionId'],
    ['an unknown field', { evil: 1 }, '/evil'],
    ['another schema version', { schema: 'qoe.beacon.v0' }, '/schema'],
  ])('rejects %s with the path of the offending value', (_what, overrides, path) => {
    const result = validate(firstframe(overrides));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(path);
  });

  it('rejects a non-object without throwing', () => {
    expect(validate('nope').ok).toBe(false);
    expect(validate(null).ok).toBe(false);
  });
});

describe('synthetic marking (a simulated viewer is marked whole or not at all)', () => {
  const validate = createBeaconValidator();

  it.each<[string, Partial<Beacon>]>([
    ['a real viewer (no marking)', {}],
    ['synthetic alone', { synthetic: true }],
    ['synthetic with cohort and network class', { synthetic: true, cohort: 'commuters', networkClass: '3g' }],
    ['synthetic: false without cohort (real, said out loud)', { synthetic: false }],
  ])('accepts %s', (_what, marking) => {
    expect(validate(firstframe(marking)).ok).toBe(true);
  });

  it.each<[string, Partial<Beacon>, string]>([
    ['a cohort without synthetic', { cohort: 'commuters' }, 'cohort marks a simulated viewer'],
    ['a network class with synthetic: false', { synthetic: false, networkClass: '3g' }, 'networkClass marks'],
    ['both without synthetic', { cohort: 'c', networkClass: '3g' }, 'cohort and networkClass mark'],
  ])('refuses %s at /synthetic', (_what, marking, message) => {
    const result = validate(firstframe(marking));
    expect(result).toEqual({
      ok: false,
      issues: [{ path: '/synthetic', message: expect.stringContaining(message) }],
    });
  });

  it('reports schema issues first (a half-marked beacon that is also malformed)', () => {
    const result = validate(firstframe({ cohort: 'has spaces' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(['/cohort']);
  });
});

describe('transcode job schema', () => {
  it('requires a source key and a positive attempt', () => {
    const validate = createValidator(TranscodeJob);
    const job = {
      event: 'transcode.job.v1',
      jobId: 'job-12345678',
      videoId: 'video-12345678',
      sourceKey: 'uploads/video-12345678/source',
      attempt: 1,
      requestedAt: new Date(0).toISOString(),
    };
    expect(validate(job).ok).toBe(true);
    expect(validate({ ...job, attempt: 0 }).ok).toBe(false);
    expect(validate({ ...job, sourceKey: '' }).ok).toBe(false);
  });
});

describe('errors', () => {
  it('maps a code to its status and a body without internals', () => {
    const err = new AppError('ERR_UPLOAD_TOO_LARGE', 'upload is larger than 10 GiB');
    expect(err.status).toBe(413);
    expect(errorBody(err)).toEqual({
      error: { code: 'ERR_UPLOAD_TOO_LARGE', message: 'upload is larger than 10 GiB' },
    });
  });

  it('gives a one-line reason from a system error', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1\n    at x'), {
      code: 'ECONNREFUSED',
    });
    expect(reasonOf(err)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(reasonOf(new AggregateError([new Error('first')]))).toBe('first');
  });
});

describe('naming and redaction', () => {
  it('enforces streamloop_<service>_<noun>_<unit> metric names', () => {
    expect(metricName('beacon-collector', 'beacons_accepted_total')).toBe(
      'streamloop_beacon_collector_beacons_accepted_total',
    );
    expect(() => metricName('x', 'Bad-Name')).toThrow(/does not match/);
  });

  it('never prints a password from a connection URL', () => {
    expect(redactUrl('postgres://user:hunter2@db:5432/x')).toBe('postgres://user:***@db:5432/x');
  });
});

describe('date-time format (contracts that carry instants)', () => {
  const validate = createValidator(Type.Object({ at: Type.String({ format: 'date-time' }) }));
  it('accepts what toISOString writes and an offset, refuses a date alone and an impossible instant', () => {
    expect(validate({ at: new Date(0).toISOString() }).ok).toBe(true);
    expect(validate({ at: '2026-12-07T05:00:00+01:00' }).ok).toBe(true);
    expect(validate({ at: '2026-12-07' }).ok).toBe(false);
    expect(validate({ at: '2026-13-45T99:00:00Z' }).ok).toBe(false);
  });
});
