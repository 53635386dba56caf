import { type Static, Type } from '@sinclair/typebox';
import { IsoDateTime } from './video.js';

/**
 * An experiment's news on `experiment-events`, keyed by experimentId. Written to the catalog outbox
 * in the same transaction as the change it announces (catalog's experiment-repository), so an event
 * exists if and only if the change committed; the outbox relay publishes it.
 *
 * `experiment.arm_stopped.v1`: a treatment arm was stopped (a breached guardrail, or a person): its
 * viewers get control from then on. Whoever serves or reports on the arm can react (stop encodes for
 * it, alert its owner, annotate dashboards).
 */
export const ExperimentArmStopped = Type.Object(
  {
    event: Type.Literal('experiment.arm_stopped.v1'),
    experimentId: Type.String({ minLength: 1, maxLength: 64 }),
    arm: Type.String({ minLength: 1, maxLength: 32 }),
    /** Why, as the arm and the history keep it (the guardrail's metric, lift, interval and margin). */
    reason: Type.String(),
    /** Who stopped it: `guardrail` for an automatic stop. */
    actor: Type.String(),
    stoppedAt: IsoDateTime,
  },
  { $id: 'ExperimentArmStopped', additionalProperties: false },
);
export type ExperimentArmStopped = Static<typeof ExperimentArmStopped>;
