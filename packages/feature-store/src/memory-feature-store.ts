import type { AdapterInfo } from '@streamloop/core/port';
import {
  checkIncrement,
  checkScore,
  checkTtlMs,
  DEFAULT_KEY_PREFIX,
  type FeatureStore,
  type RankedMember,
  type TtlOptions,
  WRONG_TYPE_MESSAGE,
} from './feature-store.js';
import { compareRanked } from './ranking.js';

export interface MemoryFeatureStoreOptions {
  keyPrefix?: string;
  /** Milliseconds since the epoch; injectable so unit tests move time instead of sleeping. */
  now?: () => number;
  /** How often expired keys nobody reads again are dropped, so memory stays bounded. */
  sweepIntervalMs?: number;
}

export interface MemoryFeatureStore extends FeatureStore {
  /** Drops every expired key now; returns how many went. The timer calls this too. */
  sweep(): number;
  /** Keys held, including expired ones not yet swept. */
  readonly size: number;
}

type Value =
  | { kind: 'string'; value: string }
  | { kind: 'hash'; fields: Map<string, string> }
  | { kind: 'zset'; scores: Map<string, number> };

interface Entry {
  value: Value;
  expiresAt: number | undefined;
}

const INTEGER = /^-?\d+$/;

/** The embedded default: Redis semantics (types, expiry, ordering) in a Map, for one process. */
export function createMemoryFeatureStore(options: MemoryFeatureStoreOptions = {}): MemoryFeatureStore {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let closed = false;

  const sweep = (): number => {
    const at = now();
    let removed = 0;
    for (const [key, entry] of entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= at) {
        entries.delete(key);
        removed++;
      }
    }
    return removed;
  };
  // unref: a forgotten store must not keep the process alive.
  const timer = setInterval(sweep, options.sweepIntervalMs ?? 1_000);
  timer.unref();

  const open = (): void => {
    if (closed) throw new Error('feature store is closed');
  };

  /** The live entry under a key, dropping it first if it has expired (Redis' lazy expiry). */
  const live = (key: string): Entry | undefined => {
    open();
    const full = prefix + key;
    const entry = entries.get(full);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      entries.delete(full);
      return undefined;
    }
    return entry;
  };

  function typed<K extends Value['kind']>(key: string, kind: K): Extract<Value, { kind: K }> | undefined {
    const entry = live(key);
    if (entry === undefined) return undefined;
    if (entry.value.kind !== kind) throw new Error(WRONG_TYPE_MESSAGE);
    return entry.value as Extract<Value, { kind: K }>;
  }

  const hashFor = (key: string): Map<string, string> => {
    const existing = typed(key, 'hash');
    if (existing) return existing.fields;
    const fields = new Map<string, string>();
    entries.set(prefix + key, { value: { kind: 'hash', fields }, expiresAt: undefined });
    return fields;
  };

  const zsetFor = (key: string): Map<string, number> => {
    const existing = typed(key, 'zset');
    if (existing) return existing.scores;
    const scores = new Map<string, number>();
    entries.set(prefix + key, { value: { kind: 'zset', scores }, expiresAt: undefined });
    return scores;
  };

  const adapter: AdapterInfo = {
    port: 'feature-store',
    kind: 'embedded',
    service: 'in-memory',
    target: 'in-process',
  };

  return {
    adapter,
    get size() {
      return entries.size;
    },
    sweep,

    async get(key) {
      return typed(key, 'string')?.value ?? null;
    },

    async set(key, value, options?: TtlOptions) {
      const expiresAt = options?.ttlMs === undefined ? undefined : now() + checkTtlMs(options.ttlMs);
      open();
      entries.set(prefix + key, { value: { kind: 'string', value }, expiresAt });
    },

    async del(...keys) {
      let removed = 0;
      for (const key of keys) {
        if (live(key) !== undefined) {
          entries.delete(prefix + key);
          removed++;
        }
      }
      return removed;
    },

    async ttlMs(key) {
      const entry = live(key);
      return entry?.expiresAt === undefined ? null : entry.expiresAt - now();
    },

    async hset(key, fields, options?: TtlOptions) {
      const ttlMs = options?.ttlMs === undefined ? undefined : checkTtlMs(options.ttlMs);
      const names = Object.keys(fields);
      if (names.length > 0) {
        const hash = hashFor(key);
        for (const name of names) hash.set(name, String(fields[name]));
      }
      const entry = live(key);
      if (entry !== undefined && ttlMs !== undefined) entry.expiresAt = now() + ttlMs;
    },

    async hgetall(key) {
      const hash = typed(key, 'hash');
      return hash ? Object.fromEntries(hash.fields) : {};
    },

    async hget(key, field) {
      return typed(key, 'hash')?.fields.get(field) ?? null;
    },

    async hmget(key, fields) {
      // Redis refuses an HMGET without fields; the Redis adapter answers [] without asking, and so do we.
      if (fields.length === 0) return [];
      const hash = typed(key, 'hash');
      return fields.map((field) => hash?.fields.get(field) ?? null);
    },

    async hlen(key) {
      return typed(key, 'hash')?.fields.size ?? 0;
    },

    async hdel(key, ...fields) {
      if (fields.length === 0) return 0;
      const hash = typed(key, 'hash');
      if (hash === undefined) return 0;
      let removed = 0;
      for (const field of fields) if (hash.fields.delete(field)) removed++;
      // Redis never keeps an empty hash: the key, and its expiry, go with the last field.
      if (hash.fields.size === 0) entries.delete(prefix + key);
      return removed;
    },

    async hincrBy(key, field, by) {
      checkIncrement(by);
      const hash = hashFor(key);
      const current = hash.get(field) ?? '0';
      if (!INTEGER.test(current)) throw new Error('ERR hash value is not an integer');
      const next = Number(current) + by;
      if (!Number.isSafeInteger(next)) throw new Error('ERR increment or decrement would overflow');
      hash.set(field, String(next));
      return next;
    },

    async zincrBy(key, member, by) {
      checkScore(by, 'zincrBy increment');
      const scores = zsetFor(key);
      const next = (scores.get(member) ?? 0) + by;
      if (Number.isNaN(next)) throw new Error('ERR resulting score is not a number (NaN)');
      scores.set(member, next);
      return next;
    },

    async zadd(key, list: RankedMember[]) {
      for (const { score } of list) checkScore(score, 'zadd score');
      if (list.length === 0) return;
      const scores = zsetFor(key);
      for (const { member, score } of list) scores.set(member, score);
    },

    async ztop(key, limit) {
      const zset = typed(key, 'zset');
      if (zset === undefined || limit < 1) return [];
      return [...zset.scores]
        .map(([member, score]) => ({ member, score }))
        .sort(compareRanked)
        .slice(0, Math.floor(limit));
    },

    async expire(key, ttlMs) {
      checkTtlMs(ttlMs);
      const entry = live(key);
      if (entry === undefined) return false;
      entry.expiresAt = now() + ttlMs;
      return true;
    },

    async persist(key) {
      const entry = live(key);
      if (entry?.expiresAt === undefined) return false;
      entry.expiresAt = undefined;
      return true;
    },

    async ping() {
      open();
    },

    async close() {
      closed = true;
      clearInterval(timer);
      entries.clear();
    },
  };
}
