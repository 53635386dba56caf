/** Audience descriptions for tests: a valid one, with overrides per cohort. */
import type { Audience, Cohort } from '@streamloop/playback-model/audience';

type CohortOverrides = Partial<Omit<Cohort, 'network'>> & { network?: Cohort['network'] };

export function cohortBuilder(overrides: CohortOverrides = {}): Cohort {
  return {
    name: 'lte',
    share: 1,
    network: { class: 'lte' },
    devices: [{ name: 'laptop', share: 1, viewport: { width: 1280, height: 720 } }],
    sessionsPerViewer: { min: 1, max: 1 },
    watch: { completionShare: 0.5, abandonHazardPerMin: 2 },
    ...overrides,
  };
}

export function audienceBuilder(
  overrides: Partial<Omit<Audience, 'cohorts'>> & { cohorts?: CohortOverrides[] } = {},
): Audience {
  const { cohorts, ...rest } = overrides;
  return {
    viewers: 4,
    titles: ['title-a'],
    popularity: { zipfExponent: 1 },
    cohorts: (cohorts ?? [{}]).map((cohort) => cohortBuilder(cohort)),
    ...rest,
  };
}
