/**
 * `GET /api/v1/videos/:id/playback`: what delivery answers and the player SDK reads (type only).
 */
import { type Static, Type } from '@sinclair/typebox';
import { LadderRecord } from './ladder.js';

const Urls = Type.Object({
  /** The HLS master playlist with its token; relative to the origin that served this response. */
  manifestUrl: Type.String(),
  /** The DASH MPD over the same segments; absent for videos packaged before DASH existed, or encrypted. */
  dashUrl: Type.Optional(Type.String()),
  expiresAt: Type.String({ format: 'date-time' }),
  /** The encoding-ladder experiment arm this viewer gets; null while no experiment runs. */
  variant: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  /** True for a simulated viewer's playback (the simulator asks for it): its beacons are marked synthetic. */
  synthetic: Type.Optional(Type.Boolean()),
  /**
   * The start-rung hint (issue 14): the bitrate this viewer's network sustained in most of their
   * recent views, kbit/s — core's `startBitrateHintKbps` over the live viewer feature set. The SDK
   * seeds the player's first bandwidth estimate with it, so the first segment comes from a rung the
   * viewer's network carries. Absent when the request names no `viewerId` or the viewer is unknown,
   * when their throughput was measured too few times, when the hint is off (PLAYBACK_START_HINT=off, or
   * `startHint: false` on the viewer's experiment arm), for an owner's `?ladder=` preview, or when the
   * feature store could not be read in time.
   */
  startBitrateKbps: Type.Optional(Type.Integer({ minimum: 0 })),
});

/**
 * The ladder the URLs point into (`ladderId`, `ladderVersion`), copied onto the viewer's beacons.
 * Picked from the published record itself, so a field renamed there is renamed here — and in every
 * reader (delivery, the SDK) at compile time.
 */
const LadderOfPlayback = Type.Partial(Type.Pick(LadderRecord, ['ladderId', 'ladderVersion']));

export const PlaybackResponse = Type.Composite([Urls, LadderOfPlayback]);
export type PlaybackResponse = Static<typeof PlaybackResponse>;
