/**
 * Builders for the recommendation tests: feature rows with only what recommendations read set
 * (the rest zero), ladder records whose lowest rung is known, and the route alone on an app.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import type { ThroughputDistribution, TitleFeatures, ViewerFeatures } from '@streamloop/core/features';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import type { RecommendedTitle } from '@streamloop/core/schemas/recommendations';
import { makeLadderRecord, makePackagedRendition } from '@streamloop/core/testing';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import {
  type RecommendationsRouteDeps,
  recommendationsRoutes,
} from '../src/recommendations/recommendations-route.js';

export const NO_THROUGHPUT: ThroughputDistribution = { samples: 0, p10: 0, p25: 0, p50: 0, p75: 0, p90: 0 };

/** A throughput distribution from its three quantiles the model reads (p25/p75 halfway, unused). */
export const throughput = (p10: number, p50: number, p90: number): ThroughputDistribution => ({
  samples: 100,
  p10,
  p25: (p10 + p50) / 2,
  p50,
  p75: (p50 + p90) / 2,
  p90,
});

export function makeTitleRow(videoId: string, overrides: Partial<TitleFeatures> = {}): TitleFeatures {
  return {
    videoId,
    popularity: { h1: 0, h24: 0, d7: 0, decayed: 0 },
    completionRate: 0,
    coWatch: [],
    qoe: { views: 0, rebufferRatio: 0, startFailureRate: 0 },
    rungShare: [],
    throughputKbps: NO_THROUGHPUT,
    ...overrides,
  };
}

export function makeViewerRow(viewerId: string, overrides: Partial<ViewerFeatures> = {}): ViewerFeatures {
  return {
    viewerId,
    recentVideoIds: [],
    throughputKbps: NO_THROUGHPUT,
    deviceClass: 'desktop',
    displayHeight: 1080,
    views7d: 0,
    rebuffers7d: 0,
    startFailures7d: 0,
    ...overrides,
  };
}

/** `co-watch` / `popular` pairs: `[videoId, score]` → the rows' `{ videoId, score }`. */
export const scored = (...pairs: [string, number][]) => pairs.map(([videoId, score]) => ({ videoId, score }));

/**
 * A two-rung ladder record whose lowest rung declares `lowestVideoPeakBps` + the audio's 99 000 bit/s
 * (makeLadderRecord's audio) as its HLS BANDWIDTH; the top rung is a 720p at 3 Mbit/s peak.
 */
export function ladderWithLowestRung(lowestVideoPeakBps: number): LadderRecord {
  const rung = (name: string, height: number, peakBitrate: number) =>
    makePackagedRendition({
      name,
      height,
      width: Math.round((height * 16) / 9),
      shortSide: height,
      peakBitrate,
      averageBitrate: Math.round(peakBitrate * 0.9),
    });
  return makeLadderRecord({
    renditions: [rung('low', 360, lowestVideoPeakBps), rung('720p', 720, 3_000_000)],
  });
}

export interface RecommendationsApp {
  app: FastifyInstance;
  /** GET the route with `query` (without '?'); the status and the parsed body. */
  get(
    query: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: RecommendationsBody }>;
}

export interface RecommendationsBody {
  viewerId: string | null;
  videoId: string | null;
  featureVersions: { title: number | null; viewer: number | null };
  items: RecommendedTitle[];
  error?: { code: string; message: string };
}

export const LEGACY_KEY = 'recommendations-legacy-key-0123456789';

export async function recommendationsApp(
  deps: { featureStore: FeatureStore; catalog: Catalog } & Partial<RecommendationsRouteDeps>,
): Promise<RecommendationsApp> {
  const app = buildHttpApp({
    logger: createLogger({ name: 'recommendations-test', level: 'silent' }),
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  await app.register(recommendationsRoutes, {
    apiKey: LEGACY_KEY,
    // Far above what a test sends, except where a test sets its own.
    rateLimit: { max: 10_000, timeWindowMs: 60_000 },
    ...deps,
  });
  return {
    app,
    async get(query, headers = {}) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/recommendations?${query}`, headers });
      return { status: res.statusCode, body: res.json() as RecommendationsBody };
    },
  };
}

/** `[videoId, reason, because, score]` per item, for whole-answer comparisons. */
export const summary = (items: readonly RecommendedTitle[]) =>
  items.map((item) => [item.videoId, item.reason, item.because, item.score] as const);
