/**
 * Many live viewers from one process: a fixed number of concurrent viewers pull session plans from
 * one iterator until it is empty, the run is stopped, or too many sessions failed. Start times are
 * spread over a ramp so a few hundred viewers do not ask for the same master playlist in the same
 * millisecond. The target must be loopback unless the caller explicitly allows otherwise: live
 * mode moves real segment bytes and must not be pointed at someone's production by a typo.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { SessionPlan } from '@streamloop/playback-model/audience';
import type { NetworkTrace } from '@streamloop/playback-model/trace';
import { LiveTargetError } from '../run-context.js';
import { type LiveSessionResult, runLiveViewer } from './live-viewer.js';
import { viewerAddress } from './viewer-http.js';

/** Throws LiveTargetError unless `target` names a loopback host (or `allowRemote`). */
export function assertLoopbackTarget(target: string, allowRemote = false): void {
  if (allowRemote) return;
  let host: string;
  try {
    host = new URL(target).hostname.replace(/^\[|\]$/g, '');
  } catch {
    throw new LiveTargetError(target);
  }
  const loopback = host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  if (!loopback) throw new LiveTargetError(target);
}

export interface LiveSessionSpec {
  plan: SessionPlan;
  trace: NetworkTrace;
  networkClass: string;
  videoId: string;
}

export interface LiveAudienceOptions {
  target: string;
  apiKey?: string;
  allowRemote?: boolean;
  sessions: Iterable<LiveSessionSpec>;
  /** Viewers playing at once. */
  concurrency: number;
  /** Starts of the first `concurrency` viewers are spread over this long (default 20 ms each, ≤ 10 s). */
  rampMs?: number;
  /** The browser's sendBeacon stand-in (the collector client, or a file). */
  deliverUnload(beacons: Beacon[]): Promise<void>;
  /** The run stops after this many failed sessions (default 10). */
  maxFailedSessions?: number;
  /** Cap on one session's real duration (default: 10 minutes). */
  maxSessionMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * Each viewer sends from its own 127.77.x.y address (default: on Linux, for a loopback target), so
   * the stack's per-address limits see many clients, as they would in the field. Other systems
   * configure only 127.0.0.1 on the loopback interface.
   */
  addressPerViewer?: boolean;
  onSessionDone?(result: LiveSessionResult): void;
  signal?: AbortSignal;
}

export interface BeaconPostCounts {
  /** Beacons in POSTs the SDK made itself, by answer: '202', '429', 'network'… */
  byStatus: Record<string, number>;
  requests: number;
}

export interface LiveAudienceResult {
  results: LiveSessionResult[];
  /** Failed sessions by cause (`playback 403`, `segment timeout`…). */
  failures: Record<string, number>;
  posts: BeaconPostCounts;
  /** Why the run stopped early, if it did. */
  stopReason: string | undefined;
}

const DEFAULT_MAX_SESSION_MS = 10 * 60_000;

export async function runLiveAudience(options: LiveAudienceOptions): Promise<LiveAudienceResult> {
  assertLoopbackTarget(options.target, options.allowRemote);
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const rampMs = options.rampMs ?? Math.min(10_000, concurrency * 20);
  const maxFailed = options.maxFailedSessions ?? 10;
  const stop = new AbortController();
  // Every viewer listens to the run's stop signal: hundreds of listeners are the design, not a leak.
  setMaxListeners(0, stop.signal);
  const onOuter = (): void => stop.abort();
  options.signal?.addEventListener('abort', onOuter, { once: true });
  const results: LiveSessionResult[] = [];
  const failures: Record<string, number> = {};
  const posts: BeaconPostCounts = { byStatus: {}, requests: 0 };
  let failed = 0;
  let stopReason: string | undefined;
  const iterator = options.sessions[Symbol.iterator]();
  const addressPerViewer = options.addressPerViewer ?? (!options.allowRemote && process.platform === 'linux');
  const addresses = new Map<string, string>();
  const addressOf = (viewerId: string): string => {
    let address = addresses.get(viewerId);
    if (address === undefined) {
      address = viewerAddress(addresses.size);
      addresses.set(viewerId, address);
    }
    return address;
  };

  const worker = async (index: number): Promise<void> => {
    await sleep((rampMs * index) / concurrency, undefined, { signal: stop.signal }).catch(() => {});
    while (!stop.signal.aborted) {
      const next = iterator.next();
      if (next.done) return;
      const spec = next.value;
      const result = await runLiveViewer({
        target: options.target,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        videoId: spec.videoId,
        plan: spec.plan,
        trace: spec.trace,
        networkClass: spec.networkClass,
        ...(addressPerViewer ? { localAddress: addressOf(spec.plan.viewerId) } : {}),
        deliverUnload: options.deliverUnload,
        onBeaconPost(status, beacons) {
          const key = status === 0 ? 'network' : String(status);
          posts.byStatus[key] = (posts.byStatus[key] ?? 0) + beacons;
          posts.requests++;
        },
        maxSessionMs: options.maxSessionMs ?? DEFAULT_MAX_SESSION_MS,
        signal: stop.signal,
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      });
      results.push(result);
      if (result.endReason === 'failed') {
        const cause = result.failure ?? 'unknown';
        failures[cause] = (failures[cause] ?? 0) + 1;
        if (++failed >= maxFailed && stopReason === undefined) {
          stopReason = `${failed} sessions failed (${Object.entries(failures)
            .map(([what, count]) => `${what}: ${count}`)
            .join(', ')}); stopped instead of hammering the target`;
          stop.abort();
        }
      }
      options.onSessionDone?.(result);
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  } finally {
    options.signal?.removeEventListener('abort', onOuter);
  }
  return { results, failures, posts, stopReason };
}
