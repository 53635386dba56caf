import { type Static, Type } from '@sinclair/typebox';
import { IsoDateTime, VideoId } from './video.js';

/**
 * One exposure on `experiment-exposures`, keyed by viewerId: delivery's playback API gave this
 * viewer this arm of a running ladder experiment (a token was issued for the arm's ladder). Analytics
 * counts distinct viewers exposed per arm against the configured split (sample-ratio mismatch) and
 * against the viewers its beacons see per arm (a gap is a tracking problem, not an arm's effect).
 */
export const ExperimentExposure = Type.Object(
  {
    event: Type.Literal('experiment.exposure.v1'),
    experimentId: Type.String({ minLength: 1, maxLength: 64 }),
    arm: Type.String({ minLength: 1, maxLength: 32 }),
    viewerId: Type.String({ minLength: 1, maxLength: 128 }),
    videoId: VideoId,
    /** Delivery's clock when the token was issued. */
    exposedAt: IsoDateTime,
    /** A simulated viewer's playback (`?synthetic=1`); kept out of real numbers. */
    synthetic: Type.Boolean(),
  },
  { $id: 'ExperimentExposure', additionalProperties: false },
);
export type ExperimentExposure = Static<typeof ExperimentExposure>;
