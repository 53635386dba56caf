import { type Static, Type } from '@sinclair/typebox';
import { createValidator, type Validation, type ValidationIssue } from '../validate.js';

/**
 * QoE beacon, version 1: one event in one viewing session, sent by the player SDK.
 * Durations are raw milliseconds so both the Mux and the CTA-2066 conventions can be computed
 * in SQL. The SDK imports only the types (`import type`), never this runtime schema.
 */
export const BeaconEvent = Type.Union([
  Type.Literal('viewstart'),
  Type.Literal('playrequest'),
  Type.Literal('firstframe'),
  Type.Literal('rebufferstart'),
  Type.Literal('rebufferend'),
  Type.Literal('seekstart'),
  Type.Literal('seekend'),
  Type.Literal('renditionchange'),
  Type.Literal('pause'),
  Type.Literal('play'),
  Type.Literal('error'),
  Type.Literal('heartbeat'),
  Type.Literal('viewend'),
  /** Server-side: one media request as the origin saw it, from its CMCD (CTA-5004) data. */
  Type.Literal('cmcd'),
  /** One recommended title shown to the viewer beside this view ("Up next"), one beacon per title. */
  Type.Literal('recommendationimpression'),
  /** The viewer chose a recommended title shown beside this view. */
  Type.Literal('recommendationclick'),
]);
export type BeaconEvent = Static<typeof BeaconEvent>;

/** `co-watch`: watched by the same viewers as the title it came from; `popular`: the fleet's most watched lately. */
export const RecommendationReason = Type.Union([Type.Literal('co-watch'), Type.Literal('popular')]);
export type RecommendationReason = Static<typeof RecommendationReason>;

const Id = (description: string) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description });
const Ms = (description: string) => Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600 * 1000, description });

export const Beacon = Type.Object(
  {
    schema: Type.Literal('qoe.beacon.v1'),
    beaconId: Id('unique per beacon; the collector and analytics deduplicate on it'),
    event: BeaconEvent,
    sessionId: Id('one page session of the SDK'),
    viewId: Id('one view of one video within the session'),
    viewerId: Id('anonymous, persisted per browser'),
    videoId: Id('catalog video id'),
    seq: Type.Integer({ minimum: 0, maximum: 2 ** 31, description: 'sequence number within the view' }),
    clientTimeMs: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'client wall clock, ms since epoch',
    }),
    monotonicMs: Type.Number({ minimum: 0, description: 'performance.now() at the event' }),
    playheadMs: Type.Optional(Ms('media position')),
    startupTimeMs: Type.Optional(Ms('play intent to first frame (firstframe)')),
    rebufferDurationMs: Type.Optional(Ms('stall length (rebufferend)')),
    watchTimeMs: Type.Optional(Ms('time since the previous heartbeat spent watching')),
    bitrateKbps: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    width: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    height: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    errorCode: Type.Optional(Type.String({ maxLength: 64 })),
    errorMessage: Type.Optional(Type.String({ maxLength: 1024 })),
    fatal: Type.Optional(Type.Boolean()),
    variant: Type.Optional(Type.String({ maxLength: 64 })),
    ladderId: Type.Optional(Type.String({ maxLength: 64 })),
    sdkVersion: Type.Optional(Type.String({ maxLength: 32 })),
    /**
     * A simulated viewer (the simulator, issue 11), never a person. Absent means real. Analytics
     * keeps synthetic views out of every QoE number unless a reader asks for them (`synthetic=`).
     */
    synthetic: Type.Optional(Type.Boolean()),
    /** Simulated viewers only: the audience cohort and the network class its traces come from. */
    cohort: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
    networkClass: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
    /** 'sdk' (the player SDK, the default when absent) or 'cmcd' (the origin, from a request's CMCD). */
    source: Type.Optional(Type.Union([Type.Literal('sdk'), Type.Literal('cmcd')])),
    // Per view (viewstart): where and how it plays.
    playerName: Type.Optional(Type.String({ maxLength: 32 })),
    playerVersion: Type.Optional(Type.String({ maxLength: 32 })),
    pageOrigin: Type.Optional(Type.String({ maxLength: 256 })),
    viewportWidth: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    viewportHeight: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    devicePixelRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 16 })),
    mediaDurationMs: Type.Optional(Ms('duration of the media')),
    // Seeks (seekend).
    seekDurationMs: Type.Optional(Ms('seek start to playback resuming (seekend)')),
    seekFromMs: Type.Optional(Ms('playhead when the seek started')),
    // Renditions (renditionchange): `bitrateKbps`/`width`/`height` are the new rung.
    fromBitrateKbps: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    fromWidth: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    fromHeight: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    switchReason: Type.Optional(Type.String({ maxLength: 64 })),
    // Counters since the previous heartbeat (heartbeat, viewend).
    playTimeMs: Type.Optional(Ms('time playing (frames advancing) since the last heartbeat')),
    pauseTimeMs: Type.Optional(Ms('time paused since the last heartbeat')),
    playerWidth: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    playerHeight: Type.Optional(Type.Integer({ minimum: 0, maximum: 16384 })),
    upscaleTimeMs: Type.Optional(Ms('time the picture was shown larger than the rendition')),
    downscaleTimeMs: Type.Optional(Ms('time the picture was shown smaller than the rendition')),
    droppedFrames: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
    decodedFrames: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
    requestCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
    requestFailures: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
    bytesDownloaded: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    throughputKbps: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    ttfbMs: Type.Optional(Ms('mean time to first byte of the requests since the last heartbeat')),
    completionPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /** Beacons the SDK's bounded queue had to drop since the view began (never silent). */
    droppedBeacons: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
    // Recommendations ("Up next", the recommendations API). On recommendationimpression and
    // recommendationclick: the title shown and why, in the row's slot (0 first). On viewstart:
    // `recommendationReason` says the view began from a click on a recommendation of that reason
    // (absent: the viewer came some other way), so recommended plays' QoE can be told from others'.
    recommendedVideoId: Type.Optional(
      Id('the recommended title (recommendationimpression, recommendationclick)'),
    ),
    recommendationReason: Type.Optional(RecommendationReason),
    recommendationPosition: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 49, description: 'slot in the row, 0 first' }),
    ),
    // CMCD (CTA-5004) keys as the origin received them (event 'cmcd').
    cmcd: Type.Optional(
      Type.Object(
        {
          br: Type.Optional(Type.Integer({ minimum: 0 })),
          bl: Type.Optional(Type.Integer({ minimum: 0 })),
          d: Type.Optional(Type.Integer({ minimum: 0 })),
          ot: Type.Optional(Type.String({ maxLength: 8 })),
          sid: Type.Optional(Type.String({ maxLength: 128 })),
          cid: Type.Optional(Type.String({ maxLength: 128 })),
          mtp: Type.Optional(Type.Integer({ minimum: 0 })),
          su: Type.Optional(Type.Boolean()),
          bs: Type.Optional(Type.Boolean()),
          tb: Type.Optional(Type.Integer({ minimum: 0 })),
          pr: Type.Optional(Type.Number({ minimum: 0 })),
          sf: Type.Optional(Type.String({ maxLength: 8 })),
          st: Type.Optional(Type.String({ maxLength: 8 })),
          rtp: Type.Optional(Type.Integer({ minimum: 0 })),
          path: Type.Optional(Type.String({ maxLength: 1024 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'Beacon', additionalProperties: false },
);
export type Beacon = Static<typeof Beacon>;

/** The fields every beacon carries (the schema's required ones), for builders and column maps. */
export type BeaconRequiredField = {
  [K in keyof Beacon]-?: Record<never, never> extends Pick<Beacon, K> ? never : K;
}[keyof Beacon];

/**
 * The one rule the schema cannot say: `cohort` and `networkClass` describe simulated audiences, so a
 * beacon that carries either must also say `synthetic: true`. A half-marked beacon would be stored
 * as a real viewer's with a simulated cohort, so the collector refuses it and analytics dead-letters it.
 */
export function syntheticMarkingIssue(
  beacon: Pick<Beacon, 'synthetic' | 'cohort' | 'networkClass'>,
): ValidationIssue | undefined {
  if (beacon.synthetic === true) return undefined;
  const fields = (['cohort', 'networkClass'] as const).filter((field) => beacon[field] !== undefined);
  if (fields.length === 0) return undefined;
  return {
    path: '/synthetic',
    message:
      fields.length > 1
        ? `${fields.join(' and ')} mark a simulated viewer: a beacon carrying them must say synthetic: true`
        : `${fields[0]} marks a simulated viewer: a beacon carrying it must say synthetic: true`,
  };
}

/** The qoe.beacon.v1 schema plus `syntheticMarkingIssue`, compiled once: what every reader of beacons checks. */
export function createBeaconValidator(maxIssues?: number): (value: unknown) => Validation<Beacon> {
  const validate = createValidator(Beacon, maxIssues);
  return (value) => {
    const result = validate(value);
    if (!result.ok) return result;
    const issue = syntheticMarkingIssue(result.value);
    return issue === undefined ? result : { ok: false, issues: [issue] };
  };
}
