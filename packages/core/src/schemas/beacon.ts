import { type Static, Type } from '@sinclair/typebox';

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
]);
export type BeaconEvent = Static<typeof BeaconEvent>;

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description });
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
    clientTimeMs: Type.Integer({ minimum: 0, description: 'client wall clock, ms since epoch' }),
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
  },
  { $id: 'Beacon', additionalProperties: false },
);
export type Beacon = Static<typeof Beacon>;
