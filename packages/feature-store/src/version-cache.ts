/**
 * What readers of a published version remember in memory. A version's record and rows never change
 * once it is live (a publish writes a NEW version; rollback moves the pointer, not the rows), so a
 * reader need not ask the store again for a row it read a moment ago: a warm request then costs one
 * pointer read. Two limits keep this honest:
 * - every entry is forgotten after `ttlMs` (60 s), so a store wiped and republished under reused
 *   version numbers (an operator's FLUSHDB) heals within a minute instead of never;
 * - at most `maxEntries` rows, the oldest dropped first, so a stream of ids nobody asks twice (an
 *   unknown viewer each time) costs a bounded amount of memory.
 * Rows are shared between requests: readers must not change them.
 */
export interface VersionCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export const VERSION_CACHE_TTL_MS = 60_000;
export const VERSION_CACHE_MAX_ENTRIES = 20_000;

export class VersionCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: VersionCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? VERSION_CACHE_TTL_MS;
    this.#maxEntries = options.maxEntries ?? VERSION_CACHE_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  /** The remembered value; `found: false` when never read or forgotten (a remembered null is found). */
  get(key: string): { found: true; value: V } | { found: false } {
    const entry = this.#entries.get(key);
    if (entry === undefined) return { found: false };
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return { found: false };
    }
    return { found: true, value: entry.value };
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    // Map order is insertion order: the first key is the oldest entry.
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
  }
}
