/**
 * The demo's audience is valid, seeded and small: a few hundred sessions over the five network
 * classes, the same plans on every start (so a restart re-sends the same beacon ids).
 */
import { planSessions } from '@streamloop/playback-model/audience';
import { describe, expect, it } from 'vitest';
import { DEMO_AUDIENCE_SEED, demoAudience } from '../src/demo-audience.js';

describe('demo audience', () => {
  it('plays a few hundred sessions over the five network classes, the same on every start', () => {
    const plans = [...planSessions(demoAudience('vid_demo'), DEMO_AUDIENCE_SEED)];
    // 200 viewers with 1 or 2 sessions each.
    expect(plans.length).toBeGreaterThanOrEqual(200);
    expect(plans.length).toBeLessThanOrEqual(400);
    expect(
      new Set(plans.map((plan) => ('class' in plan.network ? plan.network.class : plan.network.trace))),
    ).toEqual(new Set(['3g', 'lte', 'fixed-fcc-2016', 'wifi-oboe', 'puffer-2022']));
    expect(new Set(plans.map((plan) => plan.titleId))).toEqual(new Set(['vid_demo']));
    expect([...planSessions(demoAudience('vid_demo'), DEMO_AUDIENCE_SEED)]).toEqual(plans);
  });
});
