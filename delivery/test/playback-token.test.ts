import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkTokenForVideo,
  createPlaybackToken,
  MAX_TOKEN_LENGTH,
  verifyPlaybackToken,
} from '../src/playback-token.js';

const SECRET = 'unit-test-secret-0123456789abcdef0123';
const NOW = new Date('2030-01-01T12:00:00Z');
const IN_AN_HOUR = new Date(NOW.getTime() + 3_600_000);
const VIDEO = 'vid_0123456789abcdef';

const token = (
  overrides: { videoId?: string; expiresAt?: Date; variant?: string; synthetic?: true } = {},
  secret = SECRET,
) => createPlaybackToken({ videoId: VIDEO, expiresAt: IN_AN_HOUR, ...overrides }, secret);

/** Flips one character of a base64url string to another valid one. */
const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

describe('playback tokens', () => {
  it('round-trips the claims of a valid token', () => {
    const result = verifyPlaybackToken(token({ variant: 'ladder-b' }), SECRET, NOW);
    expect(result).toEqual({
      kind: 'ok',
      claims: { videoId: VIDEO, expiresAt: IN_AN_HOUR, variant: 'ladder-b' },
    });
  });

  it('has the documented shape: base64url(JSON {v, exp, var?}) . base64url(HMAC-SHA256)', () => {
    const [payload, signature] = token().split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      v: VIDEO,
      exp: IN_AN_HOUR.getTime() / 1000,
    });
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(32);
  });

  it('carries the synthetic mark of a simulated viewer as syn: 1, and nothing for a real one', () => {
    const simulated = token({ synthetic: true });
    expect(verifyPlaybackToken(simulated, SECRET, NOW)).toEqual({
      kind: 'ok',
      claims: { videoId: VIDEO, expiresAt: IN_AN_HOUR, synthetic: true },
    });
    expect(JSON.parse(Buffer.from(simulated.split('.')[0]!, 'base64url').toString())).toEqual({
      v: VIDEO,
      exp: IN_AN_HOUR.getTime() / 1000,
      syn: 1,
    });
  });

  const valid = token();
  const [payload, signature] = valid.split('.') as [string, string];
  const forgedPayload = Buffer.from(JSON.stringify({ v: 'someone_elses_video', exp: 4102444800 })).toString(
    'base64url',
  );

  it.each([
    {
      name: 'tampered payload (claims of another video, old signature)',
      value: `${forgedPayload}.${signature}`,
    },
    { name: 'tampered payload (one character)', value: `${flip(payload, 5)}.${signature}` },
    { name: 'tampered signature', value: `${payload}.${flip(signature, 3)}` },
    { name: 'truncated signature', value: `${payload}.${signature.slice(0, 20)}` },
    { name: 'signature re-spelt with spare bits set', value: `${payload}.${respell(signature)}` },
    { name: 'signed with another secret', value: token({}, 'another-secret-0123456789abcdef012345') },
    { name: 'garbage', value: 'not a token at all' },
    { name: 'no dot', value: payload },
    { name: 'three parts', value: `${valid}.x` },
    { name: 'empty string', value: '' },
    { name: 'not a string', value: 42 },
    { name: 'signed non-JSON payload', value: signedRaw('not json') },
    { name: 'signed claims without exp', value: signedRaw(JSON.stringify({ v: VIDEO })) },
    {
      name: 'signed claims with a non-string variant',
      value: signedRaw(JSON.stringify({ v: VIDEO, exp: 4102444800, var: 1 })),
    },
    {
      name: 'signed claims with a synthetic mark other than 1',
      value: signedRaw(JSON.stringify({ v: VIDEO, exp: 4102444800, syn: true })),
    },
    {
      name: `oversized (> ${MAX_TOKEN_LENGTH} chars)`,
      value: `${'a'.repeat(MAX_TOKEN_LENGTH)}.${signature}`,
    },
  ])('rejects $name as invalid, without throwing', ({ value }) => {
    expect(verifyPlaybackToken(value, SECRET, NOW).kind).toBe('invalid');
  });

  it('reports an expired token as expired, with the video it was for', () => {
    const result = verifyPlaybackToken(token({ expiresAt: new Date(NOW.getTime() - 1000) }), SECRET, NOW);
    expect(result).toMatchObject({ kind: 'expired', claims: { videoId: VIDEO } });
  });

  it('expires at exactly its expiry second', () => {
    expect(verifyPlaybackToken(token({ expiresAt: NOW }), SECRET, NOW).kind).toBe('expired');
    expect(verifyPlaybackToken(token({ expiresAt: new Date(NOW.getTime() + 1000) }), SECRET, NOW).kind).toBe(
      'ok',
    );
  });

  it('treats a valid token for another video as invalid for this one, expired or not', () => {
    expect(checkTokenForVideo(token(), 'another_video_id', SECRET, NOW).kind).toBe('invalid');
    const expired = token({ expiresAt: new Date(NOW.getTime() - 1000) });
    expect(checkTokenForVideo(expired, 'another_video_id', SECRET, NOW).kind).toBe('invalid');
    expect(checkTokenForVideo(token(), VIDEO, SECRET, NOW).kind).toBe('ok');
  });
});

/** A token whose MAC is right but whose claims are not: what a leaked secret could not even produce. */
function signedRaw(json: string): string {
  const payloadPart = Buffer.from(json).toString('base64url');
  return `${payloadPart}.${createHmac('sha256', SECRET).update(payloadPart).digest('base64url')}`;
}

/** The same 32 bytes in another base64url spelling: the last of 43 characters carries 2 unused bits. */
function respell(signature: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(signature.at(-1)!);
  const spelt = signature.slice(0, -1) + alphabet[last ^ 1];
  expect(Buffer.from(spelt, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
  return spelt;
}
