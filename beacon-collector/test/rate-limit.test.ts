/**
 * Per-client rate limit: 429 + Retry-After past the burst, per address, and a client that rotates the
 * X-Forwarded-For it sends cannot make itself look like many clients.
 */
import { makeBeacon, metricValue } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/rate-limiter.js';
import { type Collector, METRIC, startCollector } from './helpers.js';

describe('createRateLimiter', () => {
  it('allows the burst, then refills at the rate', () => {
    const limiter = createRateLimiter({ perSecond: 2, burst: 3 });
    expect([0, 0, 0].map((t) => limiter.take('a', t))).toEqual([0, 0, 0]);
    expect(limiter.take('a', 0)).toBe(500); // one token every 500 ms
    expect(limiter.take('b', 0)).toBe(0); // another client has its own bucket
    expect(limiter.take('a', 500)).toBe(0);
    expect(limiter.take('a', 500)).toBe(500);
  });

  it('forgets the least recently seen client when full, not the active ones', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, maxClients: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 0); // a is limited and now the most recent
    limiter.take('c', 0); // evicts b
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
  });
});

describe('POST /v1/beacons rate limit', () => {
  let collector: Collector;
  afterEach(async () => {
    await collector?.close();
  });

  const LIMIT = { perSecond: 0.001, burst: 2 };
  const post = (headers: Record<string, string> = {}) => collector.post([makeBeacon()], { headers });

  it('answers 429 with Retry-After past the burst, and counts it', async () => {
    collector = await startCollector({ routes: { rateLimit: LIMIT, now: () => 0 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post()).statusCode);
    expect(statuses).toEqual([202, 202, 429]);
    const limited = await post();
    expect(limited.json().error.code).toBe('ERR_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('1000');
    expect(await metricValue(collector.registry, METRIC.refused, { reason: 'rate_limited' })).toBe(2);
  });

  it('is not dodged by rotating X-Forwarded-For when no proxy is trusted', async () => {
    collector = await startCollector({ routes: { rateLimit: LIMIT, now: () => 0 } });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await post({ 'x-forwarded-for': `198.51.100.${i}` })).statusCode);
    expect(statuses).toEqual([202, 202, 429, 429]);
  });

  it('behind a trusted proxy, limits each real client and ignores what they prepend', async () => {
    collector = await startCollector({
      routes: { rateLimit: LIMIT, now: () => 0 },
      trustProxy: ['127.0.0.1'],
    });
    const statuses = [];
    // The proxy appends the address it saw; the client rotates the entries it made up in front.
    for (let i = 0; i < 3; i++)
      statuses.push((await post({ 'x-forwarded-for': `10.0.0.${i}, 203.0.113.7` })).statusCode);
    statuses.push((await post({ 'x-forwarded-for': '203.0.113.8' })).statusCode);
    expect(statuses).toEqual([202, 202, 429, 202]);
  });
});
