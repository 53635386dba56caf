/**
 * Ladder experiments (the catalog stores them; delivery assigns arms; analytics computes results):
 * what an encoding engineer defines, and what the API answers. An arm is a stored ladder — encoded
 * on its own or derived from an encoded one — served with or without the start-rung hint, and
 * exactly one arm is control. Two arms may share a ladder when they differ in `startHint`: that is
 * how the hint's effect on startup and early rebuffering is measured. A viewer's arm is a
 * stable hash of (the experiment's salt, the viewer id) into 10,000 buckets, so the same viewer gets
 * the same arm on every device call, across restarts and processes; beacons carry the arm as
 * `variant` = `<experimentId>.<arm>` (`experimentVariant`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { AppError } from './errors.js';
import { LadderId } from './schemas/ladder.js';
import { QoeRendition, SyntheticScope } from './schemas/qoe-api.js';
import { createValidator, describeIssues, type ValidationIssue } from './validate.js';

export const EXPERIMENT_BUCKETS = 10_000;
const NAME = '^[a-z0-9][a-z0-9-]{0,31}$';

/** The metrics results are computed for; the primary metric and guardrails name them. */
export const ExperimentMetric = Type.Union([
  Type.Literal('qoe_score'),
  Type.Literal('startup_time_ms'),
  Type.Literal('startup_time_p95_ms'),
  Type.Literal('video_start_failure'),
  Type.Literal('rebuffer_ratio'),
  Type.Literal('rebuffer_ratio_cta2066'),
  Type.Literal('rebuffer_frequency'),
  Type.Literal('bitrate_kbps'),
  Type.Literal('upscale_percent'),
  Type.Literal('watch_time_per_view_ms'),
  Type.Literal('bits_per_viewer_hour'),
]);
export type ExperimentMetric = Static<typeof ExperimentMetric>;

/** Which way is better for each metric: guardrails and "better/worse" read it. */
export const HIGHER_IS_BETTER: Readonly<Record<ExperimentMetric, boolean>> = {
  qoe_score: true,
  startup_time_ms: false,
  startup_time_p95_ms: false,
  video_start_failure: false,
  rebuffer_ratio: false,
  rebuffer_ratio_cta2066: false,
  rebuffer_frequency: false,
  bitrate_kbps: true,
  upscale_percent: false,
  watch_time_per_view_ms: true,
  bits_per_viewer_hour: false,
};

export const ExperimentArm = Type.Object(
  {
    /** Short, stable: it is on every beacon of the arm's viewers. */
    name: Type.String({ pattern: NAME }),
    ladderId: LadderId,
    /** The ladder's newest version when absent (fixed when the experiment is created). */
    ladderVersion: Type.Optional(Type.Integer({ minimum: 1 })),
    control: Type.Optional(Type.Boolean()),
    /**
     * Whether the playback API answers this arm's viewers their start-rung hint (`startBitrateKbps`,
     * issue 14). Absent: the service default, which is on (delivery's PLAYBACK_START_HINT=off turns
     * the hint off for everyone, experiments included).
     */
    startHint: Type.Optional(Type.Boolean()),
    /** Share of the experiment's viewers, in percent; the arms add up to 100. */
    trafficPercent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  },
  { additionalProperties: false },
);
export type ExperimentArm = Static<typeof ExperimentArm>;

export const ExperimentGuardrail = Type.Object(
  {
    metric: ExperimentMetric,
    /** Non-inferiority margin: the arm may be at most this much worse than control, relative, in percent. */
    marginPercent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  },
  { additionalProperties: false },
);
export type ExperimentGuardrail = Static<typeof ExperimentGuardrail>;

export const ExperimentScope = Type.Object(
  {
    videoIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000, uniqueItems: true }),
    ),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        minItems: 1,
        maxItems: 50,
        uniqueItems: true,
      }),
    ),
    /** Every video uploaded while the experiment runs. */
    newUploads: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ExperimentScope = Static<typeof ExperimentScope>;

/** What `POST /api/v1/experiments` takes. */
export const ExperimentDefinition = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    hypothesis: Type.Optional(Type.String({ maxLength: 2000 })),
    scope: ExperimentScope,
    arms: Type.Array(ExperimentArm, { minItems: 2, maxItems: 5 }),
    primaryMetric: ExperimentMetric,
    guardrails: Type.Array(ExperimentGuardrail, { maxItems: 10 }),
    /** Viewers per arm before results are read as more than noise (from the MDE calculation). */
    minimumViewersPerArm: Type.Integer({ minimum: 100, maximum: 100_000_000 }),
  },
  { additionalProperties: false },
);
export type ExperimentDefinition = Static<typeof ExperimentDefinition>;

export const ExperimentStatus = Type.Union([
  Type.Literal('draft'),
  Type.Literal('running'),
  Type.Literal('stopped'),
  Type.Literal('concluded'),
]);
export type ExperimentStatus = Static<typeof ExperimentStatus>;

/** One entry of an experiment's history: who changed what, when. */
export const ExperimentEvent = Type.Object({
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  detail: Type.Optional(Type.String()),
});
export type ExperimentEvent = Static<typeof ExperimentEvent>;

/** An experiment as the API answers it. */
export const Experiment = Type.Object({
  id: Type.String({ pattern: NAME }),
  ...ExperimentDefinition.properties,
  arms: Type.Array(
    Type.Composite([
      ExperimentArm,
      Type.Object({
        ladderVersion: Type.Integer({ minimum: 1 }),
        control: Type.Boolean(),
        /** Buckets [from, to) of the 10,000 that map to this arm. */
        buckets: Type.Object({ from: Type.Integer(), to: Type.Integer() }),
        /** A stopped arm (guardrail breached, or by hand) serves control to its viewers. */
        stopped: Type.Union([Type.Object({ at: Type.String(), reason: Type.String() }), Type.Null()]),
      }),
    ]),
  ),
  status: ExperimentStatus,
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  stoppedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  history: Type.Array(ExperimentEvent),
});
export type Experiment = Static<typeof Experiment>;

/** What beacons and tokens carry for a viewer in an arm. */
export function experimentVariant(experimentId: string, arm: string): string {
  return `${experimentId}.${arm}`;
}

const validateDefinition = createValidator(ExperimentDefinition);

/** Whether the playback API gives an arm's viewers the start-rung hint (absent: the default, on). */
export const armServesStartHint = (arm: Pick<ExperimentArm, 'startHint'>): boolean => arm.startHint !== false;

/**
 * Arms must differ in what their viewers are served: their ladder, or the start-rung hint. Arms on
 * one ladder must also name one version of it, since a video carries one version of each ladder.
 */
function sharedLadderIssues(arms: readonly ExperimentArm[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const byLadder = new Map<string, ExperimentArm[]>();
  for (const arm of arms) byLadder.set(arm.ladderId, [...(byLadder.get(arm.ladderId) ?? []), arm]);
  for (const [ladderId, sharing] of byLadder) {
    if (sharing.length < 2) continue;
    const names = sharing.map((arm) => `'${arm.name}'`).join(', ');
    const hints = sharing.map(armServesStartHint);
    if (new Set(hints).size !== hints.length) {
      issues.push({
        path: '/arms',
        message: `arms ${names} serve the same ladder '${ladderId}' the same way: give each arm another ladder, or, to measure the start-rung hint, keep two arms on one ladder with startHint: false on one of them`,
      });
    }
    if (new Set(sharing.map((arm) => arm.ladderVersion)).size > 1) {
      issues.push({
        path: '/arms',
        message: `arms ${names} name different versions of ladder '${ladderId}', but a video carries one version of a ladder: give them the same ladderVersion (or none, for the newest)`,
      });
    }
  }
  return issues;
}

/**
 * What the schema cannot say: one control, shares adding up to 100, names unique, arms that differ in
 * ladder or start-rung hint, guardrails once each.
 */
function semanticIssues(definition: ExperimentDefinition): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const controls = definition.arms.filter((arm) => arm.control === true).length;
  if (controls !== 1)
    issues.push({ path: '/arms', message: `exactly one arm must be control (found ${controls})` });
  const total = definition.arms.reduce((sum, arm) => sum + arm.trafficPercent, 0);
  if (Math.abs(total - 100) > 1e-9)
    issues.push({ path: '/arms', message: `trafficPercent must add up to 100 (adds up to ${total})` });
  const names = definition.arms.map((arm) => arm.name);
  if (new Set(names).size !== names.length)
    issues.push({ path: '/arms', message: 'arm names must be unique' });
  issues.push(...sharedLadderIssues(definition.arms));
  const guarded = definition.guardrails.map((g) => g.metric);
  if (new Set(guarded).size !== guarded.length)
    issues.push({ path: '/guardrails', message: 'a metric may have one guardrail' });
  return issues;
}

/** `value` as an experiment definition, or a 400 `ERR_VALIDATION` naming every offending field. */
export function parseExperimentDefinition(value: unknown): ExperimentDefinition {
  const checked = validateDefinition(value);
  const issues = checked.ok ? semanticIssues(checked.value) : checked.issues;
  if (checked.ok && issues.length === 0) return checked.value;
  throw new AppError('ERR_VALIDATION', `invalid experiment: ${describeIssues(issues)}`, issues);
}

/**
 * Buckets [from, to) per arm, in the arms' order: each arm gets its share of 10,000 rounded, the last
 * arm what is left, so the ranges tile [0, 10,000) exactly.
 */
export function bucketRanges(arms: readonly { trafficPercent: number }[]): { from: number; to: number }[] {
  let from = 0;
  return arms.map((arm, i) => {
    const to =
      i === arms.length - 1
        ? EXPERIMENT_BUCKETS
        : from + Math.round((arm.trafficPercent / 100) * EXPERIMENT_BUCKETS);
    const range = { from, to };
    from = to;
    return range;
  });
}

// ---- Results (analytics' `GET /api/v1/experiments/:id/results`) ----

/** A number that may be unknown: JSON has no NaN or ∞ (an unbounded interval end is null). */
const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);

/** One metric of a treatment arm against control. */
export const ExperimentComparison = Type.Object({
  metric: ExperimentMetric,
  control: MaybeNumber,
  treatment: MaybeNumber,
  /** T / C − 1. */
  relativeLift: MaybeNumber,
  /** A z-interval of the relative lift valid for ONE pre-planned look only; for reference, never for decisions. */
  fixedHorizon: Type.Object({ lower: MaybeNumber, upper: MaybeNumber, pValue: MaybeNumber }),
  /** Safe under any number of looks: p-value and confidence sequence of the relative lift, carried look by look. */
  alwaysValid: Type.Object({ lower: MaybeNumber, upper: MaybeNumber, pValue: MaybeNumber }),
  /** Always-valid p-value ≤ α. */
  significant: Type.Boolean(),
  /** By HIGHER_IS_BETTER, when significant. */
  verdict: Type.Union([Type.Literal('better'), Type.Literal('worse'), Type.Literal('inconclusive')]),
  /** Why the latest look was not taken (too few viewers, a zero value, no variance). */
  noLookReason: Type.Union([Type.String(), Type.Null()]),
});
export type ExperimentComparison = Static<typeof ExperimentComparison>;

export const ExperimentGuardrailResult = Type.Object({
  metric: ExperimentMetric,
  marginPercent: Type.Number(),
  status: Type.Union([Type.Literal('breached'), Type.Literal('ok'), Type.Literal('inconclusive')]),
  /** Always-valid interval of the relative harm (positive = worse). */
  harmLower: MaybeNumber,
  harmUpper: MaybeNumber,
  reason: Type.String(),
});
export type ExperimentGuardrailResult = Static<typeof ExperimentGuardrailResult>;

export const ExperimentArmResult = Type.Object({
  name: Type.String(),
  control: Type.Boolean(),
  trafficPercent: Type.Number(),
  stopped: Type.Union([Type.Object({ at: Type.String(), reason: Type.String() }), Type.Null()]),
  views: Type.Integer(),
  /** Of `views`, those of simulated viewers (0 unless the request asked for them). */
  syntheticViews: Type.Integer(),
  viewers: Type.Integer(),
  /** Each metric's value in the arm (null when nothing measured it). */
  metrics: Type.Record(Type.String(), MaybeNumber),
  /** Bits played at the shown rungs' bitrates, and that × the $/GB asked for. */
  bitsDelivered: Type.Number(),
  egressCostUsd: Type.Number(),
  /** Play time per rung of the arm's views (the QoE renditions breakdown narrowed to the arm). */
  rungShare: Type.Array(QoeRendition),
  /**
   * Bytes the arm's ladder stores over the videos in scope (its renditions and audio; a derived arm
   * counts the renditions of its source it keeps), and that × the $/GB-month asked for. Null when a
   * video in scope lacks the arm's renditions or its record predates byte counts.
   */
  storageBytes: MaybeNumber,
  storageCostUsdPerMonth: MaybeNumber,
  /** Against control; empty for the control arm. */
  comparisons: Type.Array(ExperimentComparison),
  guardrails: Type.Array(ExperimentGuardrailResult),
  /** Always-valid MDE of the primary metric at the current sample (80 % power), relative; null before a look. */
  primaryMde: Type.Union([Type.Object({ increase: Type.Number(), decrease: Type.Number() }), Type.Null()]),
});
export type ExperimentArmResult = Static<typeof ExperimentArmResult>;

export const ExperimentResults = Type.Object({
  experimentId: Type.String(),
  status: ExperimentStatus,
  primaryMetric: ExperimentMetric,
  /** Which viewers were counted: real ones unless asked. */
  synthetic: SyntheticScope,
  from: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  to: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Looks are cumulative, one per step from the start (1 h, coarser when the experiment is long). */
  lookStepHours: Type.Integer({ minimum: 1 }),
  alpha: Type.Number(),
  egressUsdPerGb: Type.Number(),
  storageUsdPerGbMonth: Type.Number(),
  /** The videos in scope the storage figures sum over (ids and tags; new uploads as they came). */
  storageVideos: Type.Integer(),
  arms: Type.Array(ExperimentArmResult),
  /**
   * Viewers per arm against the configured split (χ², flagged at p < 0.001), at the last look before
   * any arm was stopped (a stopped arm's viewers go to control, so later counts no longer follow the
   * split); null without viewers by then. `basis`: the viewers delivery exposed to each arm (its
   * exposure log), or — when no exposure was logged (e.g. a simulated audience written straight to
   * the store) — the viewers beacons saw. Arrays follow `arms`' order.
   */
  sampleRatioMismatch: Type.Union([
    Type.Object({
      asOf: Type.String({ format: 'date-time' }),
      basis: Type.Union([Type.Literal('exposures'), Type.Literal('beacons')]),
      observedViewers: Type.Array(Type.Integer()),
      expectedViewers: Type.Array(Type.Number()),
      chiSquare: Type.Number(),
      pValue: Type.Number(),
      flagged: Type.Boolean(),
      /** Distinct viewers exposed per arm; null when no exposure was logged. */
      exposedViewers: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
      /** Distinct viewers whose beacons carried the arm. */
      beaconViewers: Type.Array(Type.Integer()),
      /** beaconViewers / exposedViewers per arm (null without exposures): below 1, players that never reported. */
      beaconCoverage: Type.Array(MaybeNumber),
      /**
       * Do beacons cover every arm alike? χ² of beaconViewers against shares proportional to
       * exposedViewers, flagged at p < 0.001: an arm that loses more beacons (a player broken by its
       * ladder, a tracking bug) biases every metric. Null without exposures in every arm.
       */
      trackingMismatch: Type.Union([
        Type.Object({ chiSquare: Type.Number(), pValue: Type.Number(), flagged: Type.Boolean() }),
        Type.Null(),
      ]),
    }),
    Type.Null(),
  ]),
  /** The primary metric's always-valid p-value per treatment arm at each look. */
  primaryTimeline: Type.Array(
    Type.Object({ at: Type.String({ format: 'date-time' }), arm: Type.String(), pValue: MaybeNumber }),
  ),
  /** Views whose variant names this experiment but an arm it does not have (a bad beacon or a stale token). */
  unknownArmViews: Type.Integer(),
  /**
   * Whether a breached guardrail stops its arm as these results are read: only for REAL viewers of a
   * running experiment. Read with simulated viewers (`synthetic` or `all`), a breach is reported and
   * stops nothing: a simulated audience never decides for real viewers.
   */
  guardrailsEnforced: Type.Boolean(),
  /** Arms this request stopped because a guardrail was breached. */
  armsStopped: Type.Array(Type.String()),
});
export type ExperimentResults = Static<typeof ExperimentResults>;
