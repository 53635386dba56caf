/**
 * The server's context on every produced beacon: parsed user agent, truncated address (never the
 * full one), clock offset, and the country only from a header the operator declared trusted.
 */
import { makeBeacon } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitKey, truncateIp } from '../src/ip-prefix.js';
import { parseUserAgent } from '../src/user-agent.js';
import { type Collector, envelopeOf, RECEIVED_AT_MS, startCollector } from './helpers.js';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

describe('parseUserAgent', () => {
  it.each<[string, string, ReturnType<typeof parseUserAgent>]>([
    [
      'Chrome on Windows',
      CHROME_WINDOWS,
      { browser: 'Chrome', browserVersion: '120.0.0.0', os: 'Windows 10', deviceClass: 'desktop' },
    ],
    [
      'Firefox on Linux',
      'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
      { browser: 'Firefox', browserVersion: '121.0', os: 'Linux', deviceClass: 'desktop' },
    ],
    [
      'Safari on a Mac',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
      { browser: 'Safari', browserVersion: '17.2', os: 'Mac OS 10.15.7', deviceClass: 'desktop' },
    ],
    [
      'Safari on an iPhone',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      { browser: 'Mobile Safari', browserVersion: '17.1', os: 'iOS 17.1', deviceClass: 'mobile' },
    ],
    [
      'Safari on an iPad',
      'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
      { browser: 'Mobile Safari', browserVersion: '16.6', os: 'iOS 16.6', deviceClass: 'tablet' },
    ],
    [
      'Chrome on an Android phone',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
      { browser: 'Chrome', browserVersion: '120.0.6099.144', os: 'Android 14', deviceClass: 'mobile' },
    ],
    [
      'a Tizen smart TV',
      'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36',
      { browser: 'Safari', os: 'Tizen 6.0', deviceClass: 'tv' },
    ],
    [
      'a PlayStation 5',
      'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
      { browser: 'Safari', browserVersion: '13.0', os: 'PlayStation 5', deviceClass: 'console' },
    ],
    [
      'Googlebot',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      { deviceClass: 'bot' },
    ],
    ['curl', 'curl/8.5.0', { deviceClass: 'other' }],
    ['an empty header', '', {}],
  ])('%s', (_name, header, expected) => {
    expect(parseUserAgent(header)).toEqual(expected);
  });
});

describe('address truncation', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['IPv4 to /24', '203.0.113.77', '203.0.113.0'],
    ['IPv4-mapped IPv6 as IPv4', '::ffff:198.51.100.9', '198.51.100.0'],
    ['IPv6 to /48', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['compressed IPv6', '2001:db8::1', '2001:db8:0::'],
    ['loopback IPv6', '::1', '0:0:0::'],
    ['not an address', 'unknown', undefined],
    ['no address', undefined, undefined],
  ])('%s', (_name, ip, prefix) => {
    expect(truncateIp(ip)).toBe(prefix);
  });

  it.each<[string, string, string]>([
    ['an IPv4 client is one address', '203.0.113.77', '203.0.113.77'],
    ['an IPv6 client is its /64', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3:8d3::'],
    ['another address in that /64 is the same client', '2001:db8:85a3:8d3::abcd', '2001:db8:85a3:8d3::'],
  ])('rate limit key: %s', (_name, ip, key) => {
    expect(rateLimitKey(ip)).toBe(key);
  });
});

describe('the context on produced beacons', () => {
  let collector: Collector;
  afterEach(async () => {
    await collector?.close();
  });

  it('carries browser, OS, device class, IP prefix and the clock offset of the batch', async () => {
    collector = await startCollector();
    // The newest beacon decides: its clock is 61234 ms behind the server's receive time.
    const beacons = [
      makeBeacon({ clientTimeMs: RECEIVED_AT_MS - 90_000 }),
      makeBeacon({ clientTimeMs: RECEIVED_AT_MS - 61_234 }),
    ];
    const response = await collector.post(beacons, {
      headers: { 'user-agent': CHROME_WINDOWS, 'cf-ipcountry': 'DE' },
    });
    expect(response.statusCode).toBe(202);
    const contexts = (await collector.produced(2)).map((m) => envelopeOf(m).context);
    const expected = {
      clockOffsetMs: 61_234,
      ipPrefix: '127.0.0.0',
      browser: 'Chrome',
      browserVersion: '120.0.0.0',
      os: 'Windows 10',
      deviceClass: 'desktop',
    };
    // No country: no trusted header was configured, so the client's own claim is ignored.
    expect(contexts).toEqual([expected, expected]);
    // The full address is nowhere in what is stored.
    for (const message of await collector.produced(2))
      expect(message.value.toString()).not.toContain('127.0.0.1');
  });

  it.each<[string, string, string | undefined]>([
    ['a country code', 'ch', 'CH'],
    ['the edge’s "unknown"', 'XX', undefined],
    ['garbage', 'Switzerland', undefined],
  ])('takes %s from the configured trusted header', async (_name, value, country) => {
    collector = await startCollector({ routes: { countryHeader: 'CF-IPCountry' } });
    await collector.post([makeBeacon()], { headers: { 'cf-ipcountry': value } });
    const [message] = await collector.produced(1);
    expect(envelopeOf(message!).context?.country).toBe(country);
  });

  it('uses the X-Forwarded-For client only when the proxy is trusted', async () => {
    collector = await startCollector({ trustProxy: ['127.0.0.1'] });
    await collector.post([makeBeacon()], { headers: { 'x-forwarded-for': '198.51.100.23, 203.0.113.77' } });
    const [trusted] = await collector.produced(1);
    // The right-most address not in TRUST_PROXY is the client: earlier entries are the client's own claims.
    expect(envelopeOf(trusted!).context?.ipPrefix).toBe('203.0.113.0');
    await collector.close();

    collector = await startCollector();
    await collector.post([makeBeacon()], { headers: { 'x-forwarded-for': '203.0.113.77' } });
    const [untrusted] = await collector.produced(1);
    expect(envelopeOf(untrusted!).context?.ipPrefix).toBe('127.0.0.0');
  });
});
