/**
 * Everything delivery serves, mounted the same way by its own process (src/main.ts) and by the
 * single-process stack. Side-effect free until the app starts: routes live in one encapsulated
 * scope, so the rate limit and the metrics hook touch no other service's routes.
 */
import { performance } from 'node:perf_hooks';
import type { Queryable } from '@streamloop/catalog/catalog';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import type { ApiKeyOption } from '@streamloop/service-kit/api-key';
import { DEFAULT_PUBLIC_RATE_LIMIT, type PublicRateLimit } from '@streamloop/service-kit/public-rate-limit';
import type { FastifyInstance } from 'fastify';
import { type CmcdBeaconOutputOptions, createCmcdBeaconOutput } from './cmcd-beacon-output.js';
import { createCmcdHarvest } from './cmcd-harvest.js';
import { createDeliveryMetrics } from './delivery-metrics.js';
import { createExperimentAssigner } from './experiment-assignment.js';
import { createExposureOutput } from './experiment-exposure-output.js';
import { registerKeyRoutes } from './key-routes.js';
import { registerOriginRoutes } from './origin-routes.js';
import { playbackRoutes } from './playback-routes.js';
import { DEFAULT_TOKEN_TTL_S } from './playback-token.js';
import { createStartHintReader } from './start-hint.js';
import { registerThumbnailRoutes } from './thumbnail-routes.js';
import { createVideoAvailability } from './video-availability.js';

export interface DeliveryDeps {
  catalog: Queryable;
  objectStore: ObjectStore;
  /** HMAC key of playback tokens; at least 32 characters. */
  signingSecret: string;
  /** Management key (or the process's key check): `signed` videos get playback URLs only with one. */
  apiKey: ApiKeyOption;
  logger: Logger;
  registry: Registry;
  /** Lifetime of a playback token; default 6 h. */
  tokenTtlS?: number;
  /** Per client address, for callers without the API key; default 60 a minute. */
  publicRateLimit?: PublicRateLimit;
  /** How stale the running experiments that playback assigns from may be; default 5 s. */
  experimentRefreshMs?: number;
  /** Clock for tokens and CMCD beacons (tests). */
  now?: () => Date;
  /**
   * Where CMCD beacons go (`qoe-beacons`, which must exist). Without it CMCD is still read and
   * counted, but not emitted.
   */
  eventLog?: Pick<EventLog, 'publish'>;
  /** Batching and bounds of the CMCD beacons on their way to the event log. */
  cmcdBuffer?: CmcdBeaconOutputOptions;
  /**
   * Batching and bounds of experiment exposures (`experiment-exposures`, which must exist); they are
   * published whenever there is an event log.
   */
  exposureBuffer?: CmcdBeaconOutputOptions;
  /**
   * Where viewers' start-rung hints are read (the live viewer feature set), or a store still being
   * opened. Optional: without it, or while it fails, playback answers exactly as before, without
   * `startBitrateKbps`.
   */
  featureStore?: FeatureStore | Promise<FeatureStore>;
  /** The service default of the start-rung hint (PLAYBACK_START_HINT); default on. Off: no answer carries one. */
  startHint?: boolean;
  /** How long a hint's read may take before the answer goes without it (default 50 ms; start-hint.ts). */
  startHintTimeoutMs?: number;
}

const MIN_SECRET_LENGTH = 32;

export function mountDelivery(app: FastifyInstance, deps: DeliveryDeps): void {
  if (deps.signingSecret.length < MIN_SECRET_LENGTH) {
    throw new Error(`the playback signing secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const tokenTtlS = deps.tokenTtlS ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isInteger(tokenTtlS) || tokenTtlS < 1)
    throw new Error(`tokenTtlS must be a positive integer, got ${tokenTtlS}`);
  const now = deps.now ?? (() => new Date());
  const metrics = createDeliveryMetrics(deps.registry);
  const availability = createVideoAvailability({ catalog: deps.catalog });
  const buffer =
    deps.eventLog === undefined
      ? undefined
      : createCmcdBeaconOutput({
          ...deps.cmcdBuffer,
          eventLog: deps.eventLog,
          topic: TOPICS.qoeBeacons.name,
          logger: deps.logger.child({ component: 'cmcd-beacons' }),
          metrics,
        });
  const cmcd = createCmcdHarvest({
    ...(buffer === undefined ? {} : { buffer }),
    metrics,
    logger: deps.logger,
    now,
    uptimeMs: () => performance.now(),
  });
  const exposures =
    deps.eventLog === undefined
      ? undefined
      : createExposureOutput({
          ...deps.exposureBuffer,
          eventLog: deps.eventLog,
          logger: deps.logger.child({ component: 'experiment-exposures' }),
          metrics,
        });
  // The app closes before the ports do (runProcess), so the last beacons and exposures still reach the log.
  if (buffer !== undefined) app.addHook('onClose', () => buffer.close());
  if (exposures !== undefined) app.addHook('onClose', () => exposures.close());

  app.register(async (scope) => {
    scope.addHook('onResponse', async (request, reply) => {
      metrics.requests.inc({
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      });
    });
    await scope.register(playbackRoutes, {
      catalog: deps.catalog,
      signingSecret: deps.signingSecret,
      apiKey: deps.apiKey,
      tokenTtlS,
      publicRateLimit: deps.publicRateLimit ?? DEFAULT_PUBLIC_RATE_LIMIT,
      now,
      assigner: createExperimentAssigner({
        catalog: deps.catalog,
        ...(deps.experimentRefreshMs === undefined ? {} : { refreshMs: deps.experimentRefreshMs }),
      }),
      ...(exposures === undefined ? {} : { onExposure: exposures.onExposure }),
      ...(deps.featureStore === undefined || deps.startHint === false
        ? {}
        : {
            startHints: createStartHintReader({
              featureStore: deps.featureStore,
              logger: deps.logger.child({ component: 'start-hints' }),
              metrics,
              ...(deps.startHintTimeoutMs === undefined ? {} : { timeoutMs: deps.startHintTimeoutMs }),
            }),
          }),
    });
    registerKeyRoutes(scope, { catalog: deps.catalog, availability, signingSecret: deps.signingSecret, now });
    registerThumbnailRoutes(scope, {
      catalog: deps.catalog,
      availability,
      signingSecret: deps.signingSecret,
      now,
    });
    registerOriginRoutes(scope, {
      objectStore: deps.objectStore,
      availability,
      signingSecret: deps.signingSecret,
      metrics,
      cmcd,
      now,
    });
  });
  deps.logger.debug(
    {
      tokenTtlS,
      cmcdBeacons: buffer !== undefined,
      startHints: deps.featureStore !== undefined && deps.startHint !== false,
    },
    'delivery routes registered',
  );
}
