/**
 * What the dashboards' browser tests share: Debian's Chromium (never a downloaded browser, flags from
 * FACTS.md), where screenshots go, a generous poll, and the beacon path the pages read from —
 * chdb (migrated with analytics' own migrations) fed through the embedded event log by analytics'
 * real beacon consumer, beacons published the way the collector publishes them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import { MIGRATIONS_DIR } from '@streamloop/analytics/migrations-dir';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import type { Logger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconContext } from '@streamloop/core/schemas/beacon-envelope';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

/** A screenshot for people to look at (never compared): `dashboards/test-results/<name>.png`. */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: true });
}
export const CHROMIUM = { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] };
export const MINUTE_MS = 60_000;

/** The page's answer to a click or a load; generous, because chdb queries slow down on a busy machine. */
export const poll: typeof expect.poll = (read, options) =>
  expect.poll(read, {
    timeout: 20_000,
    interval: 100,
    ...(typeof options === 'number' ? { timeout: options } : options),
  });

export interface BeaconPipeline {
  store: AnalyticsStore;
  log: EventLog;
  /**
   * Publishes beacons as the collector does (`{ beacon, receivedAtMs, context }` keyed by session id);
   * `context` is what the collector learned of the request (browser, OS, device class, country).
   */
  publish(beacons: readonly Beacon[], receivedAtMs: number, context?: BeaconContext): Promise<void>;
  close(): Promise<void>;
}

export async function openBeaconPipeline(logger: Logger, name: string): Promise<BeaconPipeline> {
  const dataDir = await mkdtemp(join(tmpdir(), `streamloop-${name}-`));
  const log = createMemoryEventLog({ logger });
  const store = await createChdbAnalyticsStore({
    path: join(dataDir, 'clickhouse'),
    database: 'streamloop',
    logger,
  });
  await store.migrate(MIGRATIONS_DIR);
  await log.ensureTopics([TOPICS.qoeBeacons]);
  const consumer = createBeaconConsumer({
    eventLog: log,
    analyticsStore: store,
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
  });
  await consumer.start();
  return {
    store,
    log,
    publish: (beacons, receivedAtMs, context) =>
      log.publish(
        TOPICS.qoeBeacons.name,
        beacons.map((beacon) => ({
          key: beacon.sessionId,
          value: Buffer.from(JSON.stringify({ beacon, receivedAtMs, ...(context ? { context } : {}) })),
        })),
      ),
    async close() {
      await consumer.stop();
      await log.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The page's console errors and uncaught exceptions, collected for a test to assert there were none;
 * `expected` matches the errors a test causes on purpose (a refusal it asks for, an offline refresh).
 */
export function pageProblemsOf(page: Page, expected?: RegExp): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !expected?.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/**
 * One view's beacons as the SDK sends them: to its first frame after `startupTimeMs` then `playMs` of
 * play (with a stall of `stallMs` when given), or a fatal error before the first frame ('fails').
 */
export function viewBeacons(view: {
  videoId: string;
  viewId: string;
  viewerId?: string;
  startupTimeMs: number | 'fails';
  playMs?: number;
  stallMs?: number;
  /** Set on every beacon (a simulated viewer's marking). */
  marks?: Partial<Beacon>;
}): Beacon[] {
  let seq = 0;
  const beacon = (event: Beacon['event'], extra: Partial<Beacon> = {}): Beacon => ({
    schema: 'qoe.beacon.v1',
    beaconId: randomUUID(),
    event,
    sessionId: `session-${view.viewId}`,
    viewId: view.viewId,
    viewerId: view.viewerId ?? `viewer-${view.viewId}`,
    videoId: view.videoId,
    seq: seq++,
    clientTimeMs: Date.now(),
    monotonicMs: seq * 100,
    ...view.marks,
    ...extra,
  });
  if (view.startupTimeMs === 'fails') {
    return [
      beacon('viewstart'),
      beacon('playrequest'),
      beacon('error', { errorCode: 'MEDIA_ERR_DECODE', fatal: true }),
      beacon('viewend'),
    ];
  }
  return [
    beacon('viewstart'),
    beacon('playrequest'),
    beacon('firstframe', { startupTimeMs: view.startupTimeMs }),
    ...(view.stallMs === undefined
      ? []
      : [beacon('rebufferstart'), beacon('rebufferend', { rebufferDurationMs: view.stallMs })]),
    ...(view.playMs === undefined
      ? []
      : [beacon('heartbeat', { watchTimeMs: view.playMs, playTimeMs: view.playMs })]),
    beacon('viewend'),
  ];
}
