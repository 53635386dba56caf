/**
 * Every manifest, segment and key request VHS makes, through its documented request hook
 * (`vhs.xhr.onRequest`, per player; VHS announces a new one with `xhr-hooks-ready`):
 *
 * - adds CMCD to the request (see cmcd.ts);
 * - hooks `beforeSend` of @videojs/xhr to watch the XMLHttpRequest itself: time to first byte
 *   (send → HEADERS_RECEIVED), bytes (`loadend`'s `loaded`, aborted requests included: those bytes
 *   crossed the network too), status, and how long the body took;
 * - counts requests and failures since the previous heartbeat; a failed request is reported as a
 *   non-fatal error (VHS retries or switches rendition; a fatal one arrives as the player's `error`).
 */
import type { BeaconFields } from './beacon-factory.js';
import type { Clock } from './clock.js';
import { applyCmcd, type CmcdMode, type CmcdState, cmcdFor, createCmcdObjects } from './cmcd.js';
import {
  type Listener,
  type PlayerLike,
  type VhsLike,
  type VhsRequestHook,
  type VhsRequestOptions,
  vhsOf,
} from './player-like.js';

export interface RequestFailure {
  requestType: string;
  /** HTTP status, 0 for a network error or timeout. */
  status: number;
}

export interface NetworkTotals {
  requestCount: number;
  requestFailures: number;
  bytesDownloaded: number;
  /** Throughput of the media requests measured so far, and the TTFB of the last request. */
  throughputKbps: number | undefined;
  lastTtfbMs: number | undefined;
  /** VHS' own bandwidth estimate, which its ABR and CMCD `mtp` use. */
  estimateKbps: number | undefined;
  /** The CMCD payload of the last media request. */
  lastCmcd: string | undefined;
}

export interface NetworkController {
  take(): BeaconFields;
  totals(): NetworkTotals;
  destroy(): void;
}

interface Counters {
  requests: number;
  failures: number;
  bytes: number;
  mediaBytes: number;
  mediaMs: number;
  ttfbSumMs: number;
  ttfbCount: number;
}

const zero = (): Counters => ({
  requests: 0,
  failures: 0,
  bytes: 0,
  mediaBytes: 0,
  mediaMs: 0,
  ttfbSumMs: 0,
  ttfbCount: 0,
});

const XHR_HEADERS_RECEIVED = 2;

export function createNetworkController(deps: {
  player: PlayerLike;
  clock: Clock;
  /** CMCD on every request unless `false`. */
  cmcd: CmcdMode | false;
  cmcdState: CmcdState;
  onFailure(failure: RequestFailure): void;
}): NetworkController {
  const { player, clock } = deps;
  const objects = createCmcdObjects();
  let since = zero();
  const total = zero();
  let lastTtfbMs: number | undefined;
  let lastCmcd: string | undefined;
  let hooked: VhsLike | undefined;

  const count = (apply: (c: Counters) => void): void => {
    apply(since);
    apply(total);
  };

  const watch = (xhr: XMLHttpRequest, requestType: string): void => {
    const sentAt = clock.monotonic();
    let headersAt: number | undefined;
    let aborted = false;
    xhr.addEventListener('readystatechange', () => {
      if (headersAt === undefined && xhr.readyState >= XHR_HEADERS_RECEIVED) headersAt = clock.monotonic();
    });
    xhr.addEventListener('abort', () => {
      aborted = true;
    });
    xhr.addEventListener('loadend', (event) => {
      const endAt = clock.monotonic();
      const bytes = event.loaded || 0;
      const failed = !aborted && (xhr.status < 200 || xhr.status >= 300);
      const ttfb = headersAt === undefined ? undefined : headersAt - sentAt;
      if (ttfb !== undefined) lastTtfbMs = Math.round(ttfb);
      count((c) => {
        c.requests++;
        c.bytes += bytes;
        if (failed) c.failures++;
        if (ttfb !== undefined) {
          c.ttfbSumMs += ttfb;
          c.ttfbCount++;
        }
        if (requestType === 'segment' && !failed && headersAt !== undefined) {
          c.mediaBytes += bytes;
          c.mediaMs += endAt - sentAt;
        }
      });
      if (failed) deps.onFailure({ requestType, status: xhr.status });
    });
  };

  const onRequest: VhsRequestHook = (options: VhsRequestOptions) => {
    try {
      const requestType = options.requestType ?? 'other';
      if (deps.cmcd !== false) {
        const data = cmcdFor(options, hooked, objects, deps.cmcdState);
        applyCmcd(options, data, deps.cmcd);
        if (data.ot === 'av' || data.ot === 'v') lastCmcd = options.uri.split('CMCD=')[1] ?? lastCmcd;
      }
      const before = options.beforeSend;
      options.beforeSend = (xhr) => {
        before?.(xhr);
        watch(xhr, requestType);
      };
    } catch {
      // A measurement must never cost the viewer a segment: send the request as VHS built it.
    }
    return options;
  };

  const attach = (): void => {
    const vhs = vhsOf(player);
    if (vhs === hooked) return;
    hooked?.xhr?.offRequest?.(onRequest);
    hooked = vhs;
    hooked?.xhr?.onRequest?.(onRequest);
  };
  const onHooksReady: Listener = () => attach();
  player.on('xhr-hooks-ready', onHooksReady);
  attach();

  const rate = (c: Counters): number | undefined =>
    c.mediaMs > 0 ? Math.round((c.mediaBytes * 8) / c.mediaMs) : undefined;

  return {
    take() {
      const c = since;
      since = zero();
      return {
        requestCount: c.requests,
        requestFailures: c.failures,
        bytesDownloaded: c.bytes,
        throughputKbps: rate(c),
        ttfbMs: c.ttfbCount > 0 ? Math.round(c.ttfbSumMs / c.ttfbCount) : undefined,
      };
    },
    totals() {
      const bandwidth = hooked?.bandwidth;
      return {
        requestCount: total.requests,
        requestFailures: total.failures,
        bytesDownloaded: total.bytes,
        throughputKbps: rate(total),
        lastTtfbMs,
        estimateKbps:
          bandwidth !== undefined && Number.isFinite(bandwidth) ? Math.round(bandwidth / 1000) : undefined,
        lastCmcd: lastCmcd === undefined ? undefined : decodeURIComponent(lastCmcd.split('&')[0] ?? ''),
      };
    },
    destroy() {
      player.off('xhr-hooks-ready', onHooksReady);
      hooked?.xhr?.offRequest?.(onRequest);
      hooked = undefined;
    },
  };
}
