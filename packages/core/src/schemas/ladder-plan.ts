/**
 * Per-title ladders (issue 13): what transcode's content probe measured of a title, and the plan
 * `GET /api/v1/videos/:id/ladder-plan` answers from it, the title's audience and the constraints.
 *
 * - The content probe: cheap encodes of a few short samples of the source at each resolution and a
 *   few quality settings, scored with PSNR and SSIM against the source scaled to one display size.
 *   Transcode stores it beside the source (`contentProbeKey`) after the first encode; it goes with
 *   the video's other source objects when the video is deleted.
 * - The plan: the rungs on the probe's rate–quality hull that give the audience the most expected
 *   quality under the constraints, next to the same numbers for the video's current ladder.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Experiment } from '../experiments.js';
import { MAX_LADDER_RUNGS } from '../ladders.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Kbps = Type.Number({ minimum: 0 });
const Pixels = Type.Integer({ minimum: 1, maximum: 16_384 });
const Share = Type.Number({ minimum: 0, maximum: 1 });

/** One probe encode, averaged over the samples: its bitrate and its quality at the probe's display. */
export const ProbePoint = Type.Object({
  width: Pixels,
  height: Pixels,
  /** The encoder's quality setting (x264 CRF) this point was encoded at. */
  crf: Type.Optional(Type.Number()),
  bitrateKbps: Type.Number({ exclusiveMinimum: 0 }),
  psnrDb: Type.Number({ minimum: 0 }),
  ssim: Type.Number({ minimum: 0, maximum: 1 }),
});
export type ProbePoint = Static<typeof ProbePoint>;

export const CONTENT_PROBE_VERSION = 1;

/** What transcode stores at `contentProbeKey(videoId)`. */
export const ContentProbe = Type.Object({
  version: Type.Literal(CONTENT_PROBE_VERSION),
  videoId: Type.String(),
  /** ISO 8601. */
  probedAt: Type.String(),
  source: Type.Object({ width: Pixels, height: Pixels, durationSec: Type.Number({ exclusiveMinimum: 0 }) }),
  /** How it was measured: sample count and length, the encoder, its preset and settings, the display. */
  settings: Type.Object({
    samples: Type.Integer({ minimum: 1 }),
    sampleSec: Type.Number({ exclusiveMinimum: 0 }),
    codec: Type.String(),
    preset: Type.String(),
    crfs: Type.Array(Type.Number()),
    display: Type.Object({ width: Pixels, height: Pixels }),
  }),
  points: Type.Array(ProbePoint, { minItems: 1 }),
  /** What the probe cost: CPU seconds of its encoder and scorer processes, and wall seconds. */
  cost: Type.Object({ cpuSeconds: Type.Number({ minimum: 0 }), wallSeconds: Type.Number({ minimum: 0 }) }),
});
export type ContentProbe = Static<typeof ContentProbe>;

/** `GET /api/v1/videos/:id/ladder-plan` query: the constraints a caller may change. */
export const LadderPlanQuery = Type.Object({
  maxRungs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LADDER_RUNGS })),
  minBitrateKbps: Type.Optional(Type.Integer({ minimum: 1 })),
  maxBitrateKbps: Type.Optional(Type.Integer({ minimum: 1 })),
  dropBelowWatchShare: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
});
export type LadderPlanQuery = Static<typeof LadderPlanQuery>;

export const PlannedRung = Type.Object({
  width: Pixels,
  height: Pixels,
  /** Video bitrate. */
  bitrateKbps: Kbps,
  /** PSNR dB at the probe's display, read off the hull (or the rung's own resolution's curve). */
  predictedQuality: Type.Number(),
  qualityFrom: Type.Union([Type.Literal('hull'), Type.Literal('resolution-curve')]),
  predictedWatchShare: Share,
  /** This rung's part of an average viewer-hour's bits, audio included. */
  expectedBitsPerViewerHour: Type.Number({ minimum: 0 }),
});

export const PlannedLadder = Type.Object({
  /** `per-title` for the proposal; the video's ladder `id@version` for the current one. */
  id: Type.String(),
  rungs: Type.Array(PlannedRung),
  totals: Type.Object({
    /** Watch-share-weighted quality delivered (a stalling viewer delivers 0). */
    expectedQuality: Type.Number(),
    expectedBitsPerViewerHour: Type.Number({ minimum: 0 }),
    /** Watch share whose throughput is under the lowest rung. */
    stallShare: Share,
  }),
});

/** Where the plan's audience came from: the title's own viewers, the fleet's, or none measured yet. */
export const PlanAudienceSource = Type.Union([
  Type.Literal('title'),
  Type.Literal('fleet'),
  Type.Literal('reference'),
]);

export const LadderPlanResponse = Type.Object({
  videoId: Type.String(),
  metric: Type.Literal('psnr'),
  probe: Type.Object({
    probedAt: Type.String(),
    settings: ContentProbe.properties.settings,
    cost: ContentProbe.properties.cost,
  }),
  /** Every probe point, and which lie on the upper convex hull (quality vs log bitrate). */
  points: Type.Array(Type.Composite([ProbePoint, Type.Object({ onHull: Type.Boolean() })])),
  audience: Type.Object({
    source: PlanAudienceSource,
    /** The feature set version read, null for the reference audience. */
    featureVersion: Nullable(Type.Integer({ minimum: 1 })),
    /** Views behind the throughput quantiles (0 for the reference audience). */
    samples: Type.Integer({ minimum: 0 }),
    throughputKbps: Type.Object({ p10: Kbps, p25: Kbps, p50: Kbps, p75: Kbps, p90: Kbps }),
    /** Measured share of play time per rung of the video's current ladder (empty without data). */
    rungShare: Type.Array(Type.Object({ height: Type.Integer(), bitrateKbps: Kbps, share: Share })),
    /** Assumed: a cellular rung is kept whenever the audience is not known to have no mobile viewers. */
    mobileViewers: Type.Boolean(),
  }),
  constraints: Type.Object({
    maxRungs: Type.Integer(),
    minBitrateKbps: Kbps,
    maxBitrateKbps: Kbps,
    cellularRungMaxKbps: Kbps,
    minStepRatio: Type.Number(),
    maxStepRatio: Type.Number(),
    dropBelowWatchShare: Share,
  }),
  proposed: PlannedLadder,
  current: PlannedLadder,
  /** Rungs the floor on watch share kept out of the proposal. */
  dropped: Type.Array(
    Type.Object({ width: Pixels, height: Pixels, bitrateKbps: Kbps, predictedWatchShare: Share }),
  ),
  /** proposed ÷ current expected bits per viewer-hour, and the difference in expected quality (dB). */
  comparison: Type.Object({ bitsRatio: Nullable(Type.Number()), qualityGainDb: Type.Number() }),
});
export type LadderPlanResponse = Static<typeof LadderPlanResponse>;

/**
 * `POST /api/v1/videos/:id/ladder-plan`: encode the proposal as a new ladder and open a ladder
 * experiment on the video, the current ladder as control against it (50/50), started at once.
 * `experiment: true` says so explicitly; the constraints are the GET's query's.
 */
export const ProposeLadderBody = Type.Object(
  { experiment: Type.Literal(true), ...LadderPlanQuery.properties },
  { additionalProperties: false },
);
export type ProposeLadderBody = Static<typeof ProposeLadderBody>;

export const ProposeLadderResponse = Type.Object({
  plan: LadderPlanResponse,
  /** The catalog ladder made of the proposal: `pt-<16 hex digits of the video id's SHA-256>`. */
  ladder: Type.Object({ id: Type.String(), version: Type.Integer({ minimum: 1 }) }),
  /** Running: delivery assigns the video's viewers once both ladders are encoded. */
  experiment: Experiment,
  encodesQueued: Type.Integer({ minimum: 0 }),
});
export type ProposeLadderResponse = Static<typeof ProposeLadderResponse>;

/** `GET /api/v1/ladder-plans`: the fleet view, titles whose proposal saves the most first. */
export const LadderPlansQuery = Type.Object({
  /** Titles in the answer. */
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  /** The newest ready videos looked at (each one's plan is made on the spot). */
  scan: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
});
export type LadderPlansQuery = Static<typeof LadderPlansQuery>;

export const LadderPlanSummary = Type.Object({
  videoId: Type.String(),
  title: Type.String(),
  audienceSource: PlanAudienceSource,
  currentLadder: Type.String(),
  /** Expected bits per viewer-hour, audio included. */
  currentBitsPerViewerHour: Type.Number({ minimum: 0 }),
  proposedBitsPerViewerHour: Type.Number({ minimum: 0 }),
  /** current − proposed: what the proposal saves per hour watched (negative: it spends more). */
  savedBitsPerViewerHour: Type.Number(),
  bitsRatio: Nullable(Type.Number()),
  qualityGainDb: Type.Number(),
  currentTopKbps: Kbps,
  proposedTopKbps: Kbps,
});

export const LadderPlansResponse = Type.Object({
  titles: Type.Array(LadderPlanSummary),
  /** Ready videos looked at; of those, planned (with a content probe), and not plannable (why, per video). */
  scanned: Type.Integer({ minimum: 0 }),
  planned: Type.Integer({ minimum: 0 }),
  skipped: Type.Array(Type.Object({ videoId: Type.String(), reason: Type.String() })),
});
export type LadderPlansResponse = Static<typeof LadderPlansResponse>;
