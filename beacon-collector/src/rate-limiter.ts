/**
 * Per-client token buckets: `burst` requests at once, refilled at `perSecond`. The key is the
 * client address fastify resolved — the socket, or the right-most untrusted X-Forwarded-For entry
 * when TRUST_PROXY lists the proxy in front — so a client that rotates the header it sends us
 * still lands in one bucket. Buckets live in memory per process (collectors behind a load balancer
 * each enforce their share), bounded in number, the least recently touched evicted first.
 */

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** How many clients are tracked at once. */
  maxClients?: number;
}

export interface RateLimiter {
  /** Takes one token; returns 0 when allowed, else the ms until a token is available. */
  take(key: string, nowMs: number): number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { perSecond, burst } = options;
  const maxClients = options.maxClients ?? 100_000;
  const buckets = new Map<string, Bucket>();
  return {
    take(key, nowMs) {
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: burst, updatedMs: nowMs };
        if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value as string);
      } else {
        buckets.delete(key); // re-inserted below: Map order is the LRU order
        bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * perSecond);
        bucket.updatedMs = nowMs;
      }
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
    },
  };
}
