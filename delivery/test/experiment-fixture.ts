/**
 * A running two-arm ladder experiment on one video, as the delivery tests need it: control on the
 * default ladder, arm `top` on the derived ladder `no-low` (the test clip's 180p only, no 90p), 50/50.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { createExperiment, startExperiment } from '@streamloop/catalog/experiment-repository';
import { createLadderVersion, seedLadders } from '@streamloop/catalog/ladder-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';

/** Starts it and returns its id. */
export async function startNoLowExperiment(catalog: Catalog, videoId: string, name: string): Promise<string> {
  await seedLadders(catalog, [DEFAULT_LADDER]);
  await createLadderVersion(
    catalog,
    { id: 'no-low', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 100 } },
    'test',
  );
  const experiment = await createExperiment(
    catalog,
    {
      name,
      scope: { videoIds: [videoId] },
      arms: [
        { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
        { name: 'top', ladderId: 'no-low', trafficPercent: 50 },
      ],
      primaryMetric: 'rebuffer_ratio',
      guardrails: [],
      minimumViewersPerArm: 100,
    },
    'test',
  );
  await startExperiment(catalog, experiment.id, 'test');
  return experiment.id;
}
