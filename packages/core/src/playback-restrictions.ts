/**
 * Playback restrictions (Mux-style): an owner limits where its public videos may play — the sites
 * whose pages call the playback API (`Origin`, else the `Referer`'s origin) and may frame /embed/:id.
 * No restrictions stored = playable from any site.
 */
import { type Static, Type } from '@sinclair/typebox';
import { AppError } from './errors.js';
import { createValidator, describeIssues } from './validate.js';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';

/**
 * A lowercase host name (`shop.example.com`, `localhost`, `127.0.0.1`) or a wildcard over its
 * sub-domains (`*.example.com`, at least two labels after the star so `*.com` cannot allow a TLD).
 * No scheme, path or port: a restriction names sites, whatever port they serve from.
 */
export const RestrictedDomain = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: `^(?:\\*\\.${LABEL}(?:\\.${LABEL})+|${LABEL}(?:\\.${LABEL})*)$`,
});

export const MAX_ALLOWED_DOMAINS = 100;

export const PlaybackRestrictions = Type.Object(
  {
    allowedDomains: Type.Array(RestrictedDomain, { maxItems: MAX_ALLOWED_DOMAINS, uniqueItems: true }),
    /**
     * Whether a request naming no site at all (no `Origin`, no `Referer`: a native app, curl, a
     * privacy extension stripping the Referer) may play.
     */
    allowNoOrigin: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type PlaybackRestrictions = Static<typeof PlaybackRestrictions>;

const validateRestrictions = createValidator(PlaybackRestrictions);

/**
 * `value` as restrictions, or a 400 `ERR_VALIDATION` naming every offending field. Unknown fields are
 * refused, not dropped: a misspelt `allowedOrigins` must not leave an owner believing it is protected.
 */
export function parsePlaybackRestrictions(value: unknown): PlaybackRestrictions {
  const checked = validateRestrictions(value);
  if (checked.ok) return checked.value;
  throw new AppError(
    'ERR_VALIDATION',
    `invalid playback restrictions: ${describeIssues(checked.issues)}`,
    checked.issues,
  );
}

/**
 * Whether a page at `origin` (`https://shop.example.com:8443`; undefined when the request named
 * none) may play the videos of an owner with these restrictions. Ports and schemes are ignored:
 * restrictions name hosts. `*.example.com` matches any sub-domain, never `example.com` itself.
 */
export function isOriginAllowed(
  restrictions: PlaybackRestrictions | undefined,
  origin: string | undefined,
): boolean {
  if (restrictions === undefined) return true;
  if (origin === undefined || origin === '') return restrictions.allowNoOrigin;
  const host = hostOf(origin);
  // `Origin: null` (sandboxed frames, file: pages) and garbage name no site, so no listed domain matches.
  if (host === undefined) return false;
  return restrictions.allowedDomains.some((domain) => domainMatches(domain, host));
}

/** The origin (`scheme://host[:port]`) of a Referer URL; undefined when it is not an http(s) URL. */
export function originOfReferer(referer: string | undefined): string | undefined {
  if (referer === undefined || referer === '') return undefined;
  try {
    const url = new URL(referer);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1']);

/**
 * The CSP `frame-ancestors` source list for an owner's embed page: `*` when unrestricted,
 * `'none'` when the list is empty, else one `https://` source per domain. Only `localhost` and
 * `127.0.0.1` also get `http://` and any port: browsers treat loopback as a secure context
 * without TLS, and local test servers listen on random ports; a public site framing the player
 * over plain http could have its page rewritten in transit, so it is not offered. `allowNoOrigin`
 * plays no part: a framed page always has an ancestor.
 */
export function frameAncestorsFor(restrictions: PlaybackRestrictions | undefined): string {
  if (restrictions === undefined) return '*';
  if (restrictions.allowedDomains.length === 0) return "'none'";
  return restrictions.allowedDomains
    .flatMap((domain) =>
      LOOPBACK.has(domain) ? [`https://${domain}:*`, `http://${domain}:*`] : [`https://${domain}`],
    )
    .join(' ');
}

function hostOf(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    // A fully qualified `shop.example.com.` is the same site as `shop.example.com`.
    return url.hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

function domainMatches(domain: string, host: string): boolean {
  return domain.startsWith('*.') ? host.endsWith(domain.slice(1)) : host === domain;
}
