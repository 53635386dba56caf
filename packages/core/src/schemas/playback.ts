/**
 * `GET /api/v1/videos/:id/playback`: what delivery answers and the player SDK reads (type only).
 */
import { type Static, Type } from '@sinclair/typebox';

export const PlaybackResponse = Type.Object({
  /** The HLS master playlist with its token; relative to the origin that served this response. */
  manifestUrl: Type.String(),
  /** The DASH MPD over the same segments; absent for videos packaged before DASH existed, or encrypted. */
  dashUrl: Type.Optional(Type.String()),
  expiresAt: Type.String({ format: 'date-time' }),
  /** The encoding-ladder experiment arm this viewer gets; null while no experiment runs. */
  variant: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  /** The ladder the URLs point into, copied onto the viewer's beacons. */
  ladderId: Type.Optional(Type.String({ maxLength: 64 })),
  /** True when the arm is derived from another ladder (manifest filtered), not encoded on its own. */
  synthetic: Type.Optional(Type.Boolean()),
});
export type PlaybackResponse = Static<typeof PlaybackResponse>;
