import type { FeatureRow, FeatureSetName, TitleFeatures, ViewerFeatures } from '@streamloop/core/features';

export function makeTitleFeatures(overrides: Partial<TitleFeatures> = {}): TitleFeatures {
  return {
    videoId: 'video-1',
    popularity: { h1: 1, h24: 40, d7: 210, decayed: 37.5 },
    completionRate: 0.42,
    coWatch: [
      { videoId: 'video-2', score: 0.31 },
      { videoId: 'video-3', score: 0.12 },
    ],
    qoe: { views: 210, rebufferRatio: 0.012, startFailureRate: 0.004 },
    rungShare: [
      { height: 1080, bitrateKbps: 6000, share: 0.55 },
      { height: 720, bitrateKbps: 3000, share: 0.35 },
      { height: 360, bitrateKbps: 800, share: 0.1 },
    ],
    throughputKbps: { samples: 180, p10: 1800, p25: 3500, p50: 7200, p75: 12000, p90: 18500 },
    ...overrides,
  };
}

export function makeViewerFeatures(overrides: Partial<ViewerFeatures> = {}): ViewerFeatures {
  return {
    viewerId: 'viewer-1',
    recentVideoIds: ['video-3', 'video-1'],
    throughputKbps: { samples: 24, p10: 2500, p25: 4000, p50: 6500, p75: 9000, p90: 11000 },
    deviceClass: 'desktop',
    displayHeight: 1080,
    views7d: 1,
    rebuffers7d: 2,
    startFailures7d: 0,
    ...overrides,
  };
}

/** The entity a row belongs to, as the publisher keys it. */
export function entityOf<S extends FeatureSetName>(set: S, row: FeatureRow<S>): string {
  return set === 'title' ? (row as TitleFeatures).videoId : (row as ViewerFeatures).viewerId;
}

/** `count` entity ids of a set: `video-0`… or `viewer-0`… */
export function entityIds(set: FeatureSetName, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${set === 'title' ? 'video' : 'viewer'}-${i}`);
}

/**
 * One row of `set` for `entity` that carries `version` in a value (title: popularity.h1, viewer:
 * views7d), so a reader can tell which version each row it got came from.
 */
export function makeVersionedRow<S extends FeatureSetName>(
  set: S,
  entity: string,
  version: number,
): FeatureRow<S> {
  const row =
    set === 'title'
      ? makeTitleFeatures({ videoId: entity, popularity: { h1: version, h24: 40, d7: 210, decayed: 37.5 } })
      : makeViewerFeatures({ viewerId: entity, views7d: version });
  return row as FeatureRow<S>;
}

export function versionOfRow<S extends FeatureSetName>(set: S, row: FeatureRow<S>): number {
  return set === 'title' ? (row as TitleFeatures).popularity.h1 : (row as ViewerFeatures).views7d;
}

/** One row per entity id, all carrying `version`. */
export function versionedRows<S extends FeatureSetName>(
  set: S,
  version: number,
  entities: readonly string[],
): FeatureRow<S>[] {
  return entities.map((entity) => makeVersionedRow(set, entity, version));
}
