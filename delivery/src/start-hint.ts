/**
 * The start-rung hint (issue 14) for the playback API: the viewer's row of the live viewer feature
 * set, read through the set's pointer once per request (`openLiveFeatureSet`), turned into kbit/s by
 * core's `startBitrateHintKbps` — the one function the simulator evaluates too.
 *
 * The hint is a nicety; playback is not. A read gets `timeoutMs` (50 ms: three Redis round trips cold,
 * one warm, take about a millisecond on a LAN), and after a failure or a timeout the store is left
 * alone for `retryAfterMs` (5 s) — answers go out without a hint at once — before one request tries
 * again. An outage is logged once when it starts and once when it ends, and every answer that went
 * without a hint because of it is counted (`streamloop_delivery_start_hints_total{outcome="unavailable"}`).
 */
import { reasonOf, withTimeout } from '@streamloop/core/errors';
import { startBitrateHintKbps } from '@streamloop/core/features';
import type { Logger } from '@streamloop/core/logger';
import { openLiveFeatureSet } from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { DeliveryMetrics } from './delivery-metrics.js';

export interface StartHintReader {
  /** The viewer's hint in kbit/s, or undefined (unknown viewer, too few measurements, store unavailable). Never rejects. */
  read(viewerId: string): Promise<number | undefined>;
}

export interface StartHintDeps {
  /** The store, or one still being opened (delivery's own process opens Redis without waiting for it). */
  featureStore: FeatureStore | Promise<FeatureStore>;
  logger: Logger;
  metrics: Pick<DeliveryMetrics, 'startHints'>;
  timeoutMs?: number;
  retryAfterMs?: number;
  /** Milliseconds, for the retry window (tests). */
  now?: () => number;
}

export const DEFAULT_START_HINT_TIMEOUT_MS = 50;
export const DEFAULT_START_HINT_RETRY_AFTER_MS = 5_000;

export function createStartHintReader(deps: StartHintDeps): StartHintReader {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_START_HINT_TIMEOUT_MS;
  const retryAfterMs = deps.retryAfterMs ?? DEFAULT_START_HINT_RETRY_AFTER_MS;
  const now = deps.now ?? Date.now;
  const { logger, metrics } = deps;

  let store: FeatureStore | undefined;
  if (deps.featureStore instanceof Promise) {
    deps.featureStore.then(
      (opened) => {
        store = opened;
      },
      (err: unknown) =>
        logger.warn(
          { reason: reasonOf(err) },
          'start-rung hints off until restart: the feature store could not be opened',
        ),
    );
  } else {
    store = deps.featureStore;
  }

  /** Set while the store is failing: when the next request may try it again. */
  let retryAt: number | undefined;
  let probing = false;

  const unavailable = (): undefined => {
    metrics.startHints.inc({ outcome: 'unavailable' });
    return undefined;
  };

  const lookUp = async (opened: FeatureStore, viewerId: string): Promise<number | null> => {
    const viewers = await openLiveFeatureSet(opened, 'viewer');
    const row = viewers === null ? null : await viewers.get(viewerId);
    return row === null ? null : startBitrateHintKbps(row.throughputKbps);
  };

  return {
    async read(viewerId) {
      if (store === undefined) return unavailable();
      if (retryAt !== undefined && (now() < retryAt || probing)) return unavailable();
      const recovering = retryAt !== undefined;
      probing = recovering;
      try {
        const hint = await withTimeout(
          lookUp(store, viewerId),
          timeoutMs,
          () => new Error(`no answer within ${timeoutMs} ms`),
        );
        if (recovering) logger.info('start-rung hints back: the feature store answers again');
        retryAt = undefined;
        metrics.startHints.inc({ outcome: hint === null ? 'none' : 'answered' });
        return hint ?? undefined;
      } catch (err) {
        if (!recovering) {
          logger.warn(
            { reason: reasonOf(err), retryAfterMs },
            'start-rung hints off: the feature store did not answer; playback goes on without them',
          );
        }
        retryAt = now() + retryAfterMs;
        return unavailable();
      } finally {
        probing = false;
      }
    },
  };
}
