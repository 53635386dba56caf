import type { Port } from '@streamloop/core/port';

/**
 * The feature store behind recommendations and per-title ladder tuning: small values, hashes,
 * counters and leaderboards with expiry. The operations are Redis' own so the Redis adapter stays a
 * thin mapping and the in-memory adapter copies Redis semantics rather than inventing its own.
 */
export interface RankedMember {
  member: string;
  score: number;
}

export interface TtlOptions {
  /** Expire the key this many milliseconds from now. */
  ttlMs?: number;
}

export interface FeatureStore extends Port {
  get(key: string): Promise<string | null>;
  /** Replaces the value; like Redis SET, a set without `ttlMs` clears any earlier expiry. */
  set(key: string, value: string, options?: TtlOptions): Promise<void>;
  /** Returns how many of the keys existed. */
  del(...keys: string[]): Promise<number>;
  /** Milliseconds left; null when the key does not exist or never expires. */
  ttlMs(key: string): Promise<number | null>;
  /** Merges fields into the hash; with `ttlMs` the write and the expiry land together. Keeps any expiry otherwise. */
  hset(key: string, fields: Record<string, string | number>, options?: TtlOptions): Promise<void>;
  /** {} when missing. */
  hgetall(key: string): Promise<Record<string, string>>;
  /** null when the hash or the field is missing. */
  hget(key: string, field: string): Promise<string | null>;
  /** One answer per field, in the order asked, null for each missing one; [] for no fields. */
  hmget(key: string, fields: readonly string[]): Promise<(string | null)[]>;
  /** How many fields the hash holds; 0 when missing. */
  hlen(key: string): Promise<number>;
  /** Returns how many of the fields existed. Like Redis, removing the last field removes the hash. */
  hdel(key: string, ...fields: string[]): Promise<number>;
  /** Atomic; `by` must be an integer. Returns the new value. */
  hincrBy(key: string, field: string, by: number): Promise<number>;
  /** Atomic; returns the new score. */
  zincrBy(key: string, member: string, by: number): Promise<number>;
  zadd(key: string, entries: RankedMember[]): Promise<void>;
  /** Highest score first; equal scores by member in byte order (Redis' order), so results are stable. */
  ztop(key: string, limit: number): Promise<RankedMember[]>;
  /** Sets an expiry; false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Removes the expiry, so the key lives until deleted; false when the key does not exist or had none. */
  persist(key: string): Promise<boolean>;
}

/** Shared Redis deployments and parallel tests each get their own key space through this. */
export const DEFAULT_KEY_PREFIX = 'streamloop:';

/** Rejects what Redis would reject, so both adapters fail the same way on the same input. */
export function checkTtlMs(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive integer number of milliseconds, got ${ttlMs}`);
  }
  return ttlMs;
}

export function checkIncrement(by: number): number {
  if (!Number.isSafeInteger(by)) throw new RangeError(`hincrBy needs an integer increment, got ${by}`);
  return by;
}

export function checkScore(score: number, what: string): number {
  if (Number.isNaN(score)) throw new RangeError(`${what} must be a number, got NaN`);
  return score;
}

/** Redis' message for a key used as the wrong type, reproduced by the in-memory adapter. */
export const WRONG_TYPE_MESSAGE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
