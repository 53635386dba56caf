import { type Static, Type } from '@sinclair/typebox';

/**
 * A message that will never be processed, on `streamloop-dead-letter`, keyed like the original so one
 * video's (or session's) letters stay in order. The original bytes travel unchanged — as text when
 * they are UTF-8, base64 otherwise — with where they came from and why they stopped.
 */
export const DeadLetter = Type.Object(
  {
    /** Machine-readable: `invalid_json`, `gave_up`, … */
    reason: Type.String(),
    /** For a person: what exactly was wrong. */
    detail: Type.String(),
    /** The service whose consumer gave up on the message. */
    service: Type.String(),
    source: Type.Object({
      topic: Type.String(),
      partition: Type.Integer({ minimum: 0 }),
      offset: Type.String(),
      key: Type.String(),
    }),
    /** The message value as it was consumed. */
    value: Type.String(),
    valueEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
    deadAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'DeadLetter', additionalProperties: false },
);
export type DeadLetter = Static<typeof DeadLetter>;
