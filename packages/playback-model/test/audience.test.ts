import { describe, expect, it } from 'vitest';
import {
  type Audience,
  AudienceError,
  apportion,
  parseAudience,
  planSessions,
  traceForPlan,
} from '../src/audience.js';
import { constantTrace } from '../src/trace.js';

function makeAudience(overrides: Partial<Audience> = {}): Audience {
  return {
    viewers: 200,
    titles: ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'],
    popularity: { zipfExponent: 1 },
    tasteClusters: [
      { name: 'docs', titles: ['t7', 't8'], affinity: 1 },
      { name: 'drama', titles: ['t5', 't6'], affinity: 1 },
    ],
    cohorts: [
      {
        name: 'mobile-3g',
        share: 0.3,
        network: { class: '3g' },
        devices: [{ name: 'phone', share: 1, viewport: { width: 640, height: 360 } }],
        sessionsPerViewer: { min: 1, max: 3 },
        watch: { completionShare: 0.2, abandonHazardPerMin: 0.5, abandonStallAfterMs: 15_000 },
      },
      {
        name: 'home',
        share: 0.7,
        network: { traces: ['wifi-a.json', 'wifi-b.json'] },
        devices: [
          { name: 'tv', share: 0.5, viewport: { width: 1920, height: 1080 } },
          { name: 'laptop', share: 0.5, viewport: { width: 1280, height: 720 } },
        ],
        sessionsPerViewer: { min: 2, max: 2 },
        watch: { completionShare: 1, abandonHazardPerMin: 0 },
      },
    ],
    ...overrides,
  };
}

describe('audience description', () => {
  it.each([
    ['a missing field', { ...makeAudience(), viewers: undefined }, '/viewers'],
    ['an unknown key', { ...makeAudience(), viewer: 3 }, '/viewer'],
    [
      'cohort shares that do not add up',
      makeAudience({ cohorts: makeAudience().cohorts.slice(0, 1) }),
      '/cohorts',
    ],
    [
      'an unknown network class',
      makeAudience({
        cohorts: [
          {
            ...(makeAudience().cohorts[0] as Audience['cohorts'][number]),
            share: 1,
            network: { class: '5g' },
          },
        ],
      }),
      '/cohorts/0/network/class',
    ],
    [
      'a network with both a class and traces',
      makeAudience({
        cohorts: [
          {
            ...(makeAudience().cohorts[0] as Audience['cohorts'][number]),
            share: 1,
            network: { class: '3g', traces: ['a'] },
          },
        ],
      }),
      '/cohorts/0/network',
    ],
    [
      'sessions per viewer with min above max',
      makeAudience({
        cohorts: [
          {
            ...(makeAudience().cohorts[0] as Audience['cohorts'][number]),
            share: 1,
            sessionsPerViewer: { min: 3, max: 2 },
          },
        ],
      }),
      '/cohorts/0/sessionsPerViewer',
    ],
    [
      'a cluster title that is not a title',
      makeAudience({ tasteClusters: [{ name: 'x', titles: ['t1', 'nope'], affinity: 0.5 }] }),
      '/tasteClusters/0/titles/1',
    ],
    [
      'a viewport of the wrong type',
      {
        ...makeAudience(),
        cohorts: [
          {
            ...makeAudience().cohorts[0],
            share: 1,
            devices: [{ name: 'p', share: 1, viewport: { width: '640', height: 360 } }],
          },
        ],
      },
      '/cohorts/0/devices/0/viewport/width',
    ],
  ])('rejects %s, naming the field', (_case, value, field) => {
    let error: unknown;
    try {
      parseAudience(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AudienceError);
    expect(error).toMatchObject({ code: 'ERR_AUDIENCE_INVALID', field });
    expect((error as Error).message.startsWith(`${field || '/'}: `)).toBe(true);
  });

  it('names the unknown class and lists the known ones', () => {
    const cohort = {
      ...(makeAudience().cohorts[0] as Audience['cohorts'][number]),
      share: 1,
      network: { class: '5g' },
    };
    expect(() => parseAudience(makeAudience({ cohorts: [cohort] }))).toThrow(
      '/cohorts/0/network/class: unknown class "5g" (known: 3g, lte, fixed-fcc-2016, wifi-oboe, puffer-2022)',
    );
  });
});

describe('session plans', () => {
  const audience = parseAudience(makeAudience());

  it('are the same for the same seed, byte for byte, and differ for another seed', () => {
    const a = JSON.stringify([...planSessions(audience, 1)]);
    expect(JSON.stringify([...planSessions(audience, 1)])).toBe(a);
    expect(JSON.stringify([...planSessions(audience, 2)])).not.toBe(a);
  });

  it('give each cohort its share of viewers and their number of sessions', () => {
    const plans = [...planSessions(audience, 'seed')];
    const viewers = (cohort: string) =>
      new Set(plans.filter((plan) => plan.cohort === cohort).map((plan) => plan.viewerId)).size;
    expect(viewers('mobile-3g')).toBe(60);
    expect(viewers('home')).toBe(140);
    expect(plans.filter((plan) => plan.cohort === 'home')).toHaveLength(280);
    const perViewer = new Map<string, number>();
    for (const plan of plans) perViewer.set(plan.viewerId, (perViewer.get(plan.viewerId) ?? 0) + 1);
    expect([...perViewer.values()].every((count) => count >= 1 && count <= 3)).toBe(true);
  });

  it('carry the cohort’s network, device and watch behaviour', () => {
    const plans = [...planSessions(audience, 'seed')];
    const mobile = plans.filter((plan) => plan.cohort === 'mobile-3g');
    expect(mobile.every((plan) => 'class' in plan.network && plan.network.class === '3g')).toBe(true);
    expect(
      mobile.every((plan) => plan.viewport.width === 640 && plan.watch.abandonStallAfterMs === 15_000),
    ).toBe(true);
    // 80 % of mobile sessions stop early (exponential, 2 minutes on average).
    const early = mobile.filter((plan) => plan.watch.playSec !== undefined).length / mobile.length;
    expect(early).toBeGreaterThan(0.65);
    expect(early).toBeLessThan(0.95);
    const home = plans.filter((plan) => plan.cohort === 'home');
    expect(
      home.every(
        (plan) => 'trace' in plan.network && ['wifi-a.json', 'wifi-b.json'].includes(plan.network.trace),
      ),
    ).toBe(true);
    expect(home.every((plan) => plan.watch.playSec === undefined)).toBe(true);
    expect(new Set(home.map((plan) => plan.device))).toEqual(new Set(['tv', 'laptop']));
  });

  it('keep viewers of a cluster with affinity 1 inside it', () => {
    const plans = [...planSessions(audience, 'seed')];
    const byViewer = new Map<string, Set<string>>();
    for (const plan of plans)
      byViewer.set(plan.viewerId, (byViewer.get(plan.viewerId) ?? new Set()).add(plan.titleId));
    for (const titles of byViewer.values()) {
      const inDocs = [...titles].every((title) => ['t7', 't8'].includes(title));
      const inDrama = [...titles].every((title) => ['t5', 't6'].includes(title));
      expect(inDocs || inDrama).toBe(true);
    }
  });

  it('follow Zipf popularity without clusters: the top title is watched most, about twice the second', () => {
    const plans = [
      ...planSessions(parseAudience(makeAudience({ viewers: 3000, tasteClusters: [] })), 'zipf'),
    ];
    const counts = new Map<string, number>();
    for (const plan of plans) counts.set(plan.titleId, (counts.get(plan.titleId) ?? 0) + 1);
    const first = counts.get('t1') ?? 0;
    const second = counts.get('t2') ?? 0;
    expect(first / second).toBeGreaterThan(1.8);
    expect(first / second).toBeLessThan(2.2);
    expect(first).toBe(Math.max(...counts.values()));
  });

  it('leave other viewers’ plans unchanged when a cohort grows', () => {
    const home = (viewers: number) =>
      [...planSessions(parseAudience(makeAudience({ viewers })), 'stable')].filter(
        (plan) => plan.viewerId === 'home-0',
      );
    expect(home(200)).toEqual(home(400));
  });
});

describe('traces for plans', () => {
  it('generates the class trace from the plan’s seed and looks named traces up, refusing unknown names', () => {
    const plans = [...planSessions(parseAudience(makeAudience()), 'traces')];
    const mobile = plans.find((plan) => plan.cohort === 'mobile-3g');
    const home = plans.find((plan) => plan.cohort === 'home');
    if (!mobile || !home) throw new Error('plans missing');
    const wifi = constantTrace(3000, 20);
    const named = { 'wifi-a.json': wifi, 'wifi-b.json': wifi };
    expect(JSON.stringify(traceForPlan(mobile, named, 60))).toBe(
      JSON.stringify(traceForPlan(mobile, named, 60)),
    );
    expect(traceForPlan(mobile, named, 60).pieces[0]?.latencyMs).toBe(100);
    expect(traceForPlan(home, named, 60)).toBe(wifi);
    expect(() => traceForPlan(home, {}, 60)).toThrow(/no trace loaded for "wifi-[ab].json"/);
  });
});

describe('apportion', () => {
  it('splits by largest remainder so counts add up exactly', () => {
    expect(apportion(10, [1 / 3, 1 / 3, 1 / 3])).toEqual([4, 3, 3]);
    expect(apportion(7, [0.5, 0.5])).toEqual([4, 3]);
  });
});
