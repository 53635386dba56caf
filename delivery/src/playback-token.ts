/**
 * Playback tokens: `base64url(JSON claims) + '.' + base64url(HMAC-SHA256(secret, first part))`.
 * A token is scoped to one video and expires; it carries the experiment variant when there is one,
 * and the synthetic mark of a simulated viewer's playback (so the origin's CMCD beacons say so too).
 * Verifying never throws: every bad input is a value the caller turns into 403.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LadderScope } from './ladder-scope.js';

/** Long enough to watch a feature film with pauses; short enough that a leaked URL dies the same day. */
export const DEFAULT_TOKEN_TTL_S = 6 * 60 * 60;

/** Far above any real token (~150 bytes); refusing early bounds the work a hostile query can cause. */
export const MAX_TOKEN_LENGTH = 1024;

export interface PlaybackClaims {
  videoId: string;
  expiresAt: Date;
  variant?: string;
  /** A simulated viewer's playback (`?synthetic=1`): every CMCD beacon of its requests is synthetic. */
  synthetic?: true;
  /** What of the video the token opens: one ladder's folder, some of its renditions (ladder-scope.ts). */
  ladder?: LadderScope;
}

export type TokenCheck =
  | { kind: 'ok'; claims: PlaybackClaims }
  | { kind: 'invalid'; reason: string }
  /** Signed by us but past its expiry; the claims let the caller still tell which video it was for. */
  | { kind: 'expired'; claims: PlaybackClaims };

interface WireClaims {
  v: string;
  /** Unix seconds. */
  exp: number;
  var?: string;
  /** Present (always 1) only for a simulated viewer: a real viewer's token stays as short as before. */
  syn?: 1;
  /** The ladder folder the token opens, and the renditions of it when not all. */
  lf?: string;
  lr?: string[];
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_BYTES = 32;

export function createPlaybackToken(claims: PlaybackClaims, secret: string): string {
  const wire: WireClaims = {
    v: claims.videoId,
    exp: Math.floor(claims.expiresAt.getTime() / 1000),
    ...(claims.variant === undefined ? {} : { var: claims.variant }),
    ...(claims.synthetic === true ? { syn: 1 as const } : {}),
    ...(claims.ladder === undefined ? {} : { lf: claims.ladder.folder }),
    ...(claims.ladder?.renditions === undefined ? {} : { lr: [...claims.ladder.renditions] }),
  };
  const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  return `${payload}.${sign(payload, secret).toString('base64url')}`;
}

export function verifyPlaybackToken(token: unknown, secret: string, now: Date): TokenCheck {
  if (typeof token !== 'string' || token === '') return invalid('no token');
  if (token.length > MAX_TOKEN_LENGTH) return invalid('token too long');
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return invalid('malformed token');
  const payload = token.slice(0, dot);
  const signature = token.slice(dot + 1);
  if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) return invalid('malformed token');

  const given = Buffer.from(signature, 'base64url');
  // One spelling per signature: the last base64 character has spare bits that decode the same.
  if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature)
    return invalid('malformed signature');
  // timingSafeEqual needs equal lengths; the length of a MAC is public, so checking it first leaks nothing.
  if (!timingSafeEqual(given, sign(payload, secret))) return invalid('bad signature');

  const claims = parseClaims(payload);
  if (claims === undefined) return invalid('malformed claims');
  if (Math.floor(now.getTime() / 1000) >= Math.floor(claims.expiresAt.getTime() / 1000)) {
    return { kind: 'expired', claims };
  }
  return { kind: 'ok', claims };
}

/** The token's verdict for a request on `videoId`: a valid token for another video is invalid here. */
export function checkTokenForVideo(token: unknown, videoId: string, secret: string, now: Date): TokenCheck {
  const check = verifyPlaybackToken(token, secret, now);
  if (check.kind !== 'invalid' && check.claims.videoId !== videoId)
    return invalid('token is for another video');
  return check;
}

function sign(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

function parseClaims(payload: string): PlaybackClaims | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof wire !== 'object' || wire === null) return undefined;
  const { v, exp, var: variant, syn, lf, lr } = wire as Partial<Record<keyof WireClaims, unknown>>;
  if (typeof v !== 'string' || v === '' || !Number.isSafeInteger(exp)) return undefined;
  if (variant !== undefined && typeof variant !== 'string') return undefined;
  if (syn !== undefined && syn !== 1) return undefined;
  if (lf !== undefined && (typeof lf !== 'string' || lf === '')) return undefined;
  if (lr !== undefined && (lf === undefined || !Array.isArray(lr) || !lr.every((r) => typeof r === 'string')))
    return undefined;
  return {
    videoId: v,
    expiresAt: new Date((exp as number) * 1000),
    ...(variant === undefined ? {} : { variant }),
    ...(syn === 1 ? { synthetic: true as const } : {}),
    ...(lf === undefined
      ? {}
      : { ladder: { folder: lf, ...(lr === undefined ? {} : { renditions: lr as string[] }) } }),
  };
}

function invalid(reason: string): TokenCheck {
  return { kind: 'invalid', reason };
}
