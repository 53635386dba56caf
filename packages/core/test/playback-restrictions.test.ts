import { describe, expect, it } from 'vitest';
import {
  frameAncestorsFor,
  isOriginAllowed,
  originOfReferer,
  PlaybackRestrictions,
  parsePlaybackRestrictions,
} from '../src/playback-restrictions.js';
import { createValidator } from '../src/validate.js';

const restrict = (allowedDomains: string[], allowNoOrigin = false): PlaybackRestrictions => ({
  allowedDomains,
  allowNoOrigin,
});

describe('isOriginAllowed', () => {
  const shop = restrict(['shop.example.com', '*.partner.org', 'localhost']);

  it.each([
    ['the listed host', 'https://shop.example.com', true],
    ['the listed host on another port and scheme', 'http://shop.example.com:8443', true],
    ['the listed host in capitals, fully qualified', 'https://SHOP.Example.com.', true],
    ['a sub-domain of an exact host', 'https://evil.shop.example.com', false],
    ['a look-alike suffix', 'https://myshop.example.com', false],
    ['a sub-domain under a wildcard', 'https://a.partner.org', true],
    ['a deep sub-domain under a wildcard', 'https://a.b.partner.org', true],
    ['the apex of a wildcard', 'https://partner.org', false],
    ['a look-alike of a wildcard', 'https://notpartner.org', false],
    ['loopback on a test port', 'http://localhost:5173', true],
    ['an opaque origin', 'null', false],
    ['a non-web scheme', 'file:///tmp/page.html', false],
    ['garbage', 'not a url', false],
  ])('%s (%s) → %s', (_what, origin, allowed) => {
    expect(isOriginAllowed(shop, origin)).toBe(allowed);
  });

  it('lets any origin and no origin play when the owner set no restrictions', () => {
    expect(isOriginAllowed(undefined, 'https://anywhere.test')).toBe(true);
    expect(isOriginAllowed(undefined, undefined)).toBe(true);
  });

  it('leaves a request that names no site to allowNoOrigin', () => {
    expect(isOriginAllowed(restrict(['a.com'], true), undefined)).toBe(true);
    expect(isOriginAllowed(restrict(['a.com'], false), undefined)).toBe(false);
    expect(isOriginAllowed(restrict([], true), 'https://a.com')).toBe(false);
  });
});

describe('originOfReferer', () => {
  it('keeps scheme, host and port of a web page, nothing of other URLs', () => {
    expect(originOfReferer('https://shop.example.com:8443/p/1?x=y#z')).toBe('https://shop.example.com:8443');
    expect(originOfReferer('android-app://com.example')).toBeUndefined();
    expect(originOfReferer('')).toBeUndefined();
    expect(originOfReferer(undefined)).toBeUndefined();
  });
});

describe('frameAncestorsFor', () => {
  it.each([
    ['no restrictions', undefined, '*'],
    ['an empty list', restrict([], true), "'none'"],
    ['public hosts, https only', restrict(['a.com', '*.b.com']), 'https://a.com https://*.b.com'],
    [
      'loopback, also over http on any port',
      restrict(['localhost', '127.0.0.1']),
      'https://localhost:* http://localhost:* https://127.0.0.1:* http://127.0.0.1:*',
    ],
  ])('%s', (_what, restrictions, sources) => {
    expect(frameAncestorsFor(restrictions)).toBe(sources);
  });
});

describe('PlaybackRestrictions schema', () => {
  const validate = createValidator(PlaybackRestrictions);

  it('accepts hosts, wildcards and loopback addresses', () => {
    const ok = restrict(['shop.example.com', '*.example.com', 'localhost', '127.0.0.1', 'xn--bcher-kva.de']);
    expect(validate(ok)).toEqual({ ok: true, value: ok });
  });

  it.each([
    ['a scheme', ['https://a.com'], '/allowedDomains/0'],
    ['a path', ['a.com/embed'], '/allowedDomains/0'],
    ['a port', ['a.com:8443'], '/allowedDomains/0'],
    ['capitals', ['A.com'], '/allowedDomains/0'],
    ['a wildcard over a TLD', ['*.com'], '/allowedDomains/0'],
    ['a star inside a name', ['a.*.com'], '/allowedDomains/0'],
    ['a duplicate', ['a.com', 'a.com'], '/allowedDomains'],
    ['101 entries', Array.from({ length: 101 }, (_, i) => `s${i}.example.com`), '/allowedDomains'],
  ])('refuses %s with the path of the offending value', (_what, allowedDomains, path) => {
    const result = validate(restrict(allowedDomains));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(path);
  });

  it('refuses a missing allowNoOrigin and unknown fields', () => {
    expect(validate({ allowedDomains: [] }).ok).toBe(false);
    expect(validate({ ...restrict([]), allowedOrigins: [] }).ok).toBe(false);
  });
});

describe('parsePlaybackRestrictions', () => {
  it('returns valid restrictions and refuses others with a 400 naming every offending field', () => {
    expect(parsePlaybackRestrictions(restrict(['a.com'], true))).toEqual(restrict(['a.com'], true));
    let err: unknown;
    try {
      parsePlaybackRestrictions({ allowedDomains: ['ok.com', 'A.com'], allowNoOrigin: 'yes' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_VALIDATION', status: 400 });
    expect((err as Error).message).toMatch(
      /^invalid playback restrictions: \/allowedDomains\/1: .*; \/allowNoOrigin: /,
    );
  });
});
