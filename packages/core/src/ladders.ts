/**
 * Ladders as managed data: the definition an encoding engineer posts (core's Ladder without the
 * version, which the catalog assigns), the checks a definition must pass before anything is encoded
 * with it, and the default ladder every video gets unless an experiment or a per-title plan says
 * otherwise. The catalog stores definitions as `id@version`, immutable once written.
 */
import { type Static, Type } from '@sinclair/typebox';
import { AppError } from './errors.js';
import {
  Ladder,
  LadderId,
  LadderRecord,
  type LadderRung,
  LadderRung as LadderRungSchema,
} from './schemas/ladder.js';
import { createValidator, describeIssues, type ValidationIssue } from './validate.js';

/** A capped-VBR H.264 rung: peaks at most 7 % above the average, one and a half seconds of buffer. */
export const h264Rung = (height: number, videoBitrateKbps: number, profile = 'high'): LadderRung => ({
  height,
  codec: 'h264',
  profile,
  videoBitrateKbps,
  maxrateKbps: Math.round(videoBitrateKbps * 1.07),
  bufsizeKbps: Math.round(videoBitrateKbps * 1.5),
});

/** The seed's rungs plus a cellular rung: Apple HLS authoring spec 1.20, a variant at ≤ 192 kbps. */
export const DEFAULT_LADDER: Ladder = {
  id: 'default',
  version: 2,
  rungs: [
    // 96 kbps of video + 96 kbps of audio stays within the 192 kbps cellular budget.
    { ...h264Rung(234, 96, 'main'), maxrateKbps: 96, bufsizeKbps: 144 },
    h264Rung(360, 800, 'main'),
    h264Rung(480, 1400),
    h264Rung(720, 2800),
    h264Rung(1080, 5000),
  ],
  audioBitrateKbps: 96,
  presets: { h264: 'veryfast', hevc: 'veryfast', av1: '10' },
};

export const MAX_LADDER_RUNGS = 12;

const StrictRung = Type.Object(
  {
    ...LadderRungSchema.properties,
    height: Type.Integer({ minimum: 2, maximum: 4320 }),
    videoBitrateKbps: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
    maxrateKbps: Type.Number({ exclusiveMinimum: 0, maximum: 150_000 }),
    bufsizeKbps: Type.Number({ exclusiveMinimum: 0, maximum: 300_000 }),
  },
  { additionalProperties: false },
);

/** What `POST /api/v1/ladders` takes: a ladder without its version. Unknown fields are refused. */
export const LadderDefinition = Type.Object(
  {
    id: LadderId,
    /** Why this ladder exists (shown beside it in lists and experiments). */
    description: Type.Optional(Type.String({ maxLength: 500 })),
    rungs: Type.Array(StrictRung, { minItems: 1, maxItems: MAX_LADDER_RUNGS }),
    audioBitrateKbps: Type.Number({ minimum: 32, maximum: 512 }),
    presets: Type.Object(
      { h264: Type.String(), hevc: Type.String(), av1: Type.String() },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type LadderDefinition = Static<typeof LadderDefinition>;

/**
 * Which rungs of an encoded ladder a derived ladder keeps, judged per video on what was published
 * (a rung's short side and average video bitrate): every given condition must hold.
 */
export const RungFilter = Type.Object(
  {
    /** Only these short sides (`[480, 720, 1080]` drops the two lowest rungs of the default ladder). */
    heights: Type.Optional(
      Type.Array(Type.Integer({ minimum: 2, maximum: 4320 }), {
        minItems: 1,
        maxItems: MAX_LADDER_RUNGS,
        uniqueItems: true,
      }),
    ),
    minHeight: Type.Optional(Type.Integer({ minimum: 2, maximum: 4320 })),
    maxHeight: Type.Optional(Type.Integer({ minimum: 2, maximum: 4320 })),
    maxBitrateKbps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type RungFilter = Static<typeof RungFilter>;

/**
 * A ladder served from another one's encode by filtering its manifests: no re-encode, the same
 * segments. What `POST /api/v1/ladders` takes for one; the catalog stores it with the rungs it keeps.
 */
export const DerivedLadderDefinition = Type.Object(
  {
    id: LadderId,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    /** An encoded (not derived) ladder; its newest version when `version` is absent. */
    derivedFrom: Type.Object(
      { ladderId: LadderId, version: Type.Optional(Type.Integer({ minimum: 1 })) },
      { additionalProperties: false },
    ),
    filter: RungFilter,
  },
  { additionalProperties: false },
);
export type DerivedLadderDefinition = Static<typeof DerivedLadderDefinition>;

/** Whether a rung (short side, average video kbps) passes `filter`. */
export function keepsRung(
  filter: RungFilter,
  rung: { shortSide: number; videoBitrateKbps: number },
): boolean {
  return (
    (filter.heights === undefined || filter.heights.includes(rung.shortSide)) &&
    (filter.minHeight === undefined || rung.shortSide >= filter.minHeight) &&
    (filter.maxHeight === undefined || rung.shortSide <= filter.maxHeight) &&
    (filter.maxBitrateKbps === undefined || rung.videoBitrateKbps <= filter.maxBitrateKbps)
  );
}

const X26X_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
];
const PROFILES: Record<LadderRung['codec'], readonly string[]> = {
  h264: ['baseline', 'main', 'high'],
  hevc: ['main'],
  av1: ['main'],
};

/** What the schema cannot say: profiles per codec, encoder presets, VBV caps, repeated rungs. */
function semanticIssues(definition: LadderDefinition): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  definition.rungs.forEach((rung, i) => {
    const at = `/rungs/${i}`;
    if (!PROFILES[rung.codec].includes(rung.profile))
      issues.push({
        path: `${at}/profile`,
        message: `${rung.codec} takes profile ${PROFILES[rung.codec].join(' | ')}, not '${rung.profile}'`,
      });
    if (rung.maxrateKbps < rung.videoBitrateKbps)
      issues.push({ path: `${at}/maxrateKbps`, message: 'must be at least videoBitrateKbps' });
    const key = `${rung.codec}:${rung.height}:${rung.videoBitrateKbps}`;
    if (seen.has(key))
      issues.push({
        path: at,
        message: `repeats another rung (${rung.codec} ${rung.height}p at ${rung.videoBitrateKbps} kbps)`,
      });
    seen.add(key);
  });
  for (const codec of ['h264', 'hevc'] as const) {
    if (!X26X_PRESETS.includes(definition.presets[codec]))
      issues.push({ path: `/presets/${codec}`, message: `must be one of ${X26X_PRESETS.join(', ')}` });
  }
  if (!/^(?:[0-9]|1[0-3])$/.test(definition.presets.av1))
    issues.push({ path: '/presets/av1', message: 'must be an SVT-AV1 preset from 0 to 13' });
  return issues;
}

const validateDefinition = createValidator(LadderDefinition);
const validateDerived = createValidator(DerivedLadderDefinition);

/** `value` as a derived ladder definition, or a 400 `ERR_VALIDATION` naming every offending field. */
export function parseDerivedLadderDefinition(value: unknown): DerivedLadderDefinition {
  const checked = validateDerived(value);
  if (checked.ok) return checked.value;
  throw new AppError(
    'ERR_VALIDATION',
    `invalid derived ladder: ${describeIssues(checked.issues)}`,
    checked.issues,
  );
}

/** A body naming `derivedFrom` is a derived ladder; anything else an encoded one. */
export function isDerivedDefinition(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'derivedFrom' in value;
}

/**
 * `value` as a ladder definition, or a 400 `ERR_VALIDATION` naming every offending field: the schema's
 * and what only makes sense per codec (an AV1 rung with an H.264 profile would fail hours later in ffmpeg).
 */
export function parseLadderDefinition(value: unknown): LadderDefinition {
  const checked = validateDefinition(value);
  const issues = checked.ok ? semanticIssues(checked.value) : checked.issues;
  if (checked.ok && issues.length === 0) return checked.value;
  throw new AppError('ERR_VALIDATION', `invalid ladder: ${describeIssues(issues)}`, issues);
}

/** A ladder as the catalog stores and the API answers it: `id@version`, immutable. */
export const StoredLadder = Type.Composite([
  Ladder,
  Type.Object({
    description: Type.Optional(Type.String()),
    /** A derived ladder: served from this encoded ladder's renditions that pass `filter`; `rungs` are the ones kept. */
    derivedFrom: Type.Optional(Type.Object({ ladderId: LadderId, version: Type.Integer({ minimum: 1 }) })),
    filter: Type.Optional(RungFilter),
    /** The API key (or `streamloop` for built-in ladders) that created this version. */
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  }),
]);
export type StoredLadder = Static<typeof StoredLadder>;

/** `GET /api/v1/ladders`: the newest version of each ladder and how many versions it has. */
export const LadderList = Type.Object({
  ladders: Type.Array(
    Type.Composite([StoredLadder, Type.Object({ versions: Type.Integer({ minimum: 1 }) })]),
  ),
});
export type LadderList = Static<typeof LadderList>;

/** One more ladder a video carries (beside its primary one), as the API answers it. */
export const VideoLadder = Type.Object({
  videoId: Type.String(),
  ladderId: LadderId,
  ladderVersion: Type.Integer({ minimum: 1 }),
  /** queued → processing → ready, or failed with `error` (the video itself stays ready). */
  status: Type.Union([
    Type.Literal('queued'),
    Type.Literal('processing'),
    Type.Literal('ready'),
    Type.Literal('failed'),
  ]),
  error: Type.Union([Type.String(), Type.Null()]),
  /** What the encode published, once ready (bytes per rendition in `storageBytes`). */
  record: Type.Union([LadderRecord, Type.Null()]),
  /** Bytes the ladder stores (renditions and audio), once ready. */
  storageBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  requestedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type VideoLadder = Static<typeof VideoLadder>;

/** `GET /api/v1/videos/:id/ladders`: the primary ladder (null before the first encode) and the others. */
export const VideoLadderList = Type.Object({
  primary: Type.Union([
    Type.Object({
      ladderId: LadderId,
      ladderVersion: Type.Integer({ minimum: 1 }),
      storageBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    }),
    Type.Null(),
  ]),
  ladders: Type.Array(VideoLadder),
});
export type VideoLadderList = Static<typeof VideoLadderList>;

/** Bytes a published ladder stores, from its record; null when the record predates byte counts. */
export function ladderStorageBytes(record: LadderRecord): number | null {
  const parts = [
    ...record.renditions.map((r) => r.storageBytes),
    ...(record.audio ? [record.audio.storageBytes] : []),
  ];
  if (parts.some((bytes) => bytes === undefined)) return null;
  return parts.reduce<number>((sum, bytes) => sum + (bytes ?? 0), 0);
}
