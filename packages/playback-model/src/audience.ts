/**
 * Audiences: who watches, on what network and screen, what and for how long. The description is a
 * plain object (the caller parses JSON or YAML and names the file in its own error line); it is
 * checked against a TypeBox schema plus the rules a schema cannot say (shares add up to 1, titles in
 * clusters exist, network classes are known), and any failure names the field.
 * Plans are drawn per viewer from a stream seeded by (seed, viewer id), so growing one cohort
 * leaves the plans of every other viewer unchanged.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Viewport } from './abr-policy.js';
import { findNetworkClass, networkClassIds } from './network-classes.js';
import { generateSyntheticTrace } from './synthetic-trace.js';
import type { NetworkTrace } from './trace.js';
import type { WatchBehaviour } from './player-model.js';
import { createRandom, type Random } from './random.js';

const Share = Type.Number({ minimum: 0, maximum: 1 });
const Name = Type.String({ minLength: 1 });

export const AudienceSchema = Type.Object(
  {
    viewers: Type.Integer({ minimum: 1 }),
    /** Title ids, most popular first. */
    titles: Type.Array(Name, { minItems: 1, uniqueItems: true }),
    popularity: Type.Object({ zipfExponent: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
    /** Titles a viewer tends to watch together; `affinity` is the chance a session stays in the viewer's cluster. */
    tasteClusters: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Name, titles: Type.Array(Name, { minItems: 1 }), affinity: Share },
          { additionalProperties: false },
        ),
      ),
    ),
    cohorts: Type.Array(
      Type.Object(
        {
          name: Name,
          share: Share,
          /** Exactly one: a network class id, or trace names the caller resolves. */
          network: Type.Object(
            { class: Type.Optional(Name), traces: Type.Optional(Type.Array(Name, { minItems: 1 })) },
            { additionalProperties: false },
          ),
          devices: Type.Array(
            Type.Object(
              {
                name: Name,
                share: Share,
                viewport: Type.Object(
                  { width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }) },
                  { additionalProperties: false },
                ),
              },
              { additionalProperties: false },
            ),
            { minItems: 1 },
          ),
          sessionsPerViewer: Type.Object(
            { min: Type.Integer({ minimum: 1 }), max: Type.Integer({ minimum: 1 }) },
            { additionalProperties: false },
          ),
          watch: Type.Object(
            {
              /** Share of sessions watched to the end. */
              completionShare: Share,
              /** The others leave at a constant rate per minute of playback (exponential watch time). */
              abandonHazardPerMin: Type.Number({ minimum: 0 }),
              abandonStartupAfterMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
              abandonStallAfterMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

export type Audience = Static<typeof AudienceSchema>;
export type Cohort = Audience['cohorts'][number];

export class AudienceError extends Error {
  readonly code = 'ERR_AUDIENCE_INVALID';
  constructor(
    /** JSON pointer of the bad field (`/cohorts/1/network/class`). */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field || '/'}: ${reason}`);
    this.name = 'AudienceError';
  }
}

const SHARE_TOLERANCE = 1e-6;

/** Returns the audience typed, or throws AudienceError naming the first bad field. */
export function parseAudience(value: unknown): Audience {
  const first = Value.Errors(AudienceSchema, value).First();
  if (first) throw new AudienceError(first.path, first.message);
  const audience = value as Audience;
  checkShares(audience.cohorts, '/cohorts');
  const titles = new Set(audience.titles);
  audience.cohorts.forEach((cohort, c) => {
    const at = `/cohorts/${c}`;
    checkShares(cohort.devices, `${at}/devices`);
    const { network } = cohort;
    if ((network.class === undefined) === (network.traces === undefined)) {
      throw new AudienceError(`${at}/network`, 'needs exactly one of "class" or "traces"');
    }
    if (network.class !== undefined && !findNetworkClass(network.class)) {
      throw new AudienceError(
        `${at}/network/class`,
        `unknown class "${network.class}" (known: ${networkClassIds().join(', ')})`,
      );
    }
    if (cohort.sessionsPerViewer.min > cohort.sessionsPerViewer.max) {
      throw new AudienceError(`${at}/sessionsPerViewer`, 'min is greater than max');
    }
  });
  audience.tasteClusters?.forEach((cluster, k) => {
    cluster.titles.forEach((title, t) => {
      if (!titles.has(title))
        throw new AudienceError(`/tasteClusters/${k}/titles/${t}`, `"${title}" is not in /titles`);
    });
  });
  return audience;
}

function checkShares(items: readonly { share: number }[], at: string): void {
  const sum = items.reduce((total, item) => total + item.share, 0);
  if (Math.abs(sum - 1) > SHARE_TOLERANCE) throw new AudienceError(at, `shares add up to ${sum}, not 1`);
}

export interface SessionPlan {
  viewerId: string;
  /** 0-based index of this session among the viewer's. */
  sessionIndex: number;
  cohort: string;
  titleId: string;
  /** A class id, or one of the cohort's trace names. */
  network: { class: string } | { trace: string };
  /** Seed for the synthetic trace (or the start offset in a named trace). */
  traceSeed: number;
  device: string;
  viewport: Viewport;
  /** What the viewer intends; the model decides what happens. */
  watch: WatchBehaviour;
}

/** All sessions of the audience, viewer by viewer, cohort by cohort. */
export function* planSessions(audience: Audience, seed: number | string): Generator<SessionPlan> {
  const titlePicker = createZipfPicker(audience.titles, audience.popularity.zipfExponent);
  const rankOf = new Map(audience.titles.map((title, rank) => [title, rank]));
  const clusters = (audience.tasteClusters ?? []).map((cluster) => ({
    affinity: cluster.affinity,
    // Inside a cluster, titles keep their global popularity order.
    picker: createZipfPicker(
      [...cluster.titles].sort((a, b) => (rankOf.get(a) ?? 0) - (rankOf.get(b) ?? 0)),
      audience.popularity.zipfExponent,
      (title) => (rankOf.get(title) ?? 0) + 1,
    ),
  }));
  const counts = apportion(
    audience.viewers,
    audience.cohorts.map((cohort) => cohort.share),
  );
  for (let c = 0; c < audience.cohorts.length; c++) {
    const cohort = audience.cohorts[c];
    if (!cohort) continue;
    for (let v = 0; v < (counts[c] ?? 0); v++) {
      const viewerId = `${cohort.name}-${v}`;
      const random = createRandom(`${seed}:${viewerId}`);
      const device = pickShare(cohort.devices, random);
      const cluster = clusters.length > 0 ? clusters[random.int(clusters.length)] : undefined;
      const { min, max } = cohort.sessionsPerViewer;
      const sessions = min + random.int(max - min + 1);
      for (let s = 0; s < sessions; s++) {
        const inCluster = cluster !== undefined && random.next() < cluster.affinity;
        const titleId = (inCluster ? cluster.picker : titlePicker)(random);
        const network: SessionPlan['network'] =
          cohort.network.class !== undefined
            ? { class: cohort.network.class }
            : { trace: cohort.network.traces?.[random.int(cohort.network.traces.length)] ?? '' };
        yield {
          viewerId,
          sessionIndex: s,
          cohort: cohort.name,
          titleId,
          network,
          traceSeed: random.seed(),
          device: device.name,
          viewport: { width: device.viewport.width, height: device.viewport.height },
          watch: intendedWatch(cohort.watch, random),
        };
      }
    }
  }
}

/**
 * The trace a planned session plays over: a synthetic one from the plan's class and seed, or the
 * named trace (parsed by the caller). `durationSec` only bounds synthetic traces; they loop after.
 */
export function traceForPlan(
  plan: SessionPlan,
  namedTraces: Readonly<Record<string, NetworkTrace>>,
  durationSec: number,
): NetworkTrace {
  if ('class' in plan.network) {
    const networkClass = findNetworkClass(plan.network.class);
    if (!networkClass) throw new AudienceError('network/class', `unknown class "${plan.network.class}"`);
    return generateSyntheticTrace(networkClass, { seed: plan.traceSeed, durationSec });
  }
  const trace = namedTraces[plan.network.trace];
  if (!trace) throw new AudienceError('network/traces', `no trace loaded for "${plan.network.trace}"`);
  return trace;
}

function intendedWatch(watch: Cohort['watch'], random: Random): WatchBehaviour {
  const behaviour: WatchBehaviour = {};
  // Draw both numbers always, so one cohort's settings never shift another draw in the stream.
  const completes = random.next() < watch.completionShare;
  const u = random.next();
  if (!completes && watch.abandonHazardPerMin > 0) {
    behaviour.playSec = (-Math.log(1 - u) / watch.abandonHazardPerMin) * 60;
  }
  if (watch.abandonStartupAfterMs !== undefined)
    behaviour.abandonStartupAfterMs = watch.abandonStartupAfterMs;
  if (watch.abandonStallAfterMs !== undefined) behaviour.abandonStallAfterMs = watch.abandonStallAfterMs;
  return behaviour;
}

/** Zipf over items in rank order: weight 1 / rank^s. */
function createZipfPicker(
  items: readonly string[],
  exponent: number,
  rankOf: (item: string, index: number) => number = (_item, index) => index + 1,
): (random: Random) => string {
  const cumulative: number[] = [];
  let total = 0;
  items.forEach((item, index) => {
    total += 1 / rankOf(item, index) ** exponent;
    cumulative.push(total);
  });
  return (random) => {
    const target = random.next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] ?? 0) > target) high = mid;
      else low = mid + 1;
    }
    return items[low] ?? items[0] ?? '';
  };
}

function pickShare<T extends { share: number }>(items: readonly T[], random: Random): T {
  let target = random.next();
  for (const item of items) {
    target -= item.share;
    if (target < 0) return item;
  }
  return items[items.length - 1] as T;
}

/** Largest-remainder split of `total` by shares, so the cohort counts add up exactly. */
export function apportion(total: number, shares: readonly number[]): number[] {
  const exact = shares.map((share) => share * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((sum, count) => sum + count, 0);
  const order = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    counts[index] = (counts[index] ?? 0) + 1;
    left--;
  }
  return counts;
}
