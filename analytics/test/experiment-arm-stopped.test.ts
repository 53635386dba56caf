/**
 * A guardrail that stops an arm announces it: `experiment.arm_stopped.v1` goes to the catalog outbox
 * in the stop's own transaction and the outbox relay (which analytics runs) publishes it to
 * `experiment-events` on a real Kafka (KAFKA_BROKERS; read by a group of this file's own, narrowed to
 * this file's experiment). Stopping an arm that is already stopped announces nothing more.
 * A scratch PostgreSQL catalog; the results that breach the guardrail are written out by hand.
 */
import { getExperiment } from '@streamloop/catalog/experiment-repository';
import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import type { ExperimentArmResult, ExperimentResults } from '@streamloop/core/experiments';
import { createLogger } from '@streamloop/core/logger';
import type { ExperimentArmStopped } from '@streamloop/core/schemas/experiment-event';
import { eventually, makeArmResult, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog, Subscription } from '@streamloop/event-log/event-log';
import { deleteKafkaLeftovers, openKafkaLog } from '@streamloop/event-log/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { enforceGuardrails, GUARDRAIL_ACTOR } from '../src/experiments/experiment-guardrails.js';
import { startTwoArmExperiment } from './experiment-results-app.js';

const logger = createLogger({ name: 'arm-stopped-test', level: 'silent' });
const groupId = uniqueName('experiment-events-reader');
let kafka: EventLog;
let reader: Subscription | undefined;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let catalog: ReturnType<typeof createPgCatalog>;
const received: { key: string; event: ExperimentArmStopped }[] = [];

beforeAll(async () => {
  kafka = await openKafkaLog('arm-stopped-test');
  await kafka.ensureTopics([TOPICS.experimentEvents]);
  scratch = await createScratchDatabase(postgresUrl(), 'analytics_arm_stopped');
  catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
  await catalog.migrate();
});

afterAll(async () => {
  await reader?.stop();
  await kafka?.close();
  await deleteKafkaLeftovers({ groups: [groupId] });
  await catalog?.close();
  await scratch?.drop();
});

/** An arm's results with one guardrail in the given state (only what enforceGuardrails reads matters). */
function armResult(name: string, control: boolean, guardrail: 'breached' | 'ok'): ExperimentArmResult {
  const none = { lower: null, upper: null, pValue: null };
  return makeArmResult({
    name,
    control,
    views: 200,
    viewers: 200,
    comparisons: control
      ? []
      : [
          {
            metric: 'rebuffer_ratio',
            control: 0.002,
            treatment: 0.004,
            relativeLift: 1,
            fixedHorizon: none,
            alwaysValid: { lower: 0.5, upper: 1.5, pValue: 0.0001 },
            significant: true,
            verdict: 'worse',
            noLookReason: null,
          },
        ],
    guardrails: control
      ? []
      : [
          {
            metric: 'rebuffer_ratio',
            marginPercent: 10,
            status: guardrail,
            harmLower: 0.5,
            harmUpper: 1.5,
            reason: 'x',
          },
        ],
  });
}

it('publishes experiment.arm_stopped.v1 once when a guardrail stops an arm', async () => {
  const experiment = await startTwoArmExperiment(catalog, {
    name: 'stops',
    videoIds: [uniqueName('video')],
    guardrails: [{ metric: 'rebuffer_ratio', marginPercent: 10 }],
  });
  reader = await kafka.subscribe({
    groupId,
    topics: [TOPICS.experimentEvents.name],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const message of batch.messages) {
        const event = JSON.parse(message.value.toString('utf8')) as ExperimentArmStopped;
        if (event.experimentId === experiment.id) received.push({ key: message.key, event });
      }
    },
  });

  const results = (
    guardrail: 'breached' | 'ok',
  ): Pick<ExperimentResults, 'experimentId' | 'status' | 'arms' | 'synthetic'> => ({
    experimentId: experiment.id,
    status: 'running',
    synthetic: 'real',
    arms: [armResult('control', true, 'ok'), armResult('no-low', false, guardrail)],
  });
  const relay = createOutboxRelay({ catalog, eventLog: kafka, logger });

  // A guardrail that holds stops nothing and announces nothing; nor does a breach among simulated viewers.
  expect(await enforceGuardrails(catalog, results('ok'))).toEqual([]);
  for (const synthetic of ['synthetic', 'all'] as const)
    expect(await enforceGuardrails(catalog, { ...results('breached'), synthetic })).toEqual([]);
  expect(await relay.runOnce()).toBe(0);

  expect(await enforceGuardrails(catalog, results('breached'))).toEqual(['no-low']);
  // Read twice: the arm is already stopped, so no second stop and no second event.
  expect(await enforceGuardrails(catalog, results('breached'))).toEqual([]);
  expect(await relay.runOnce()).toBe(1);
  expect(await relay.runOnce()).toBe(0);

  await eventually('the arm_stopped event on experiment-events', () =>
    received.length >= 1 ? true : undefined,
  );
  const stored = await getExperiment(catalog, experiment.id);
  const stoppedArm = stored?.arms.find((a) => a.name === 'no-low')?.stopped;
  expect(stoppedArm?.reason).toBe(
    'guardrail rebuffer_ratio breached: lift 100.0 %, always-valid interval [50.0 %, 150.0 %], margin 10 % (real viewers)',
  );
  expect(received).toEqual([
    {
      key: experiment.id,
      event: {
        event: 'experiment.arm_stopped.v1',
        experimentId: experiment.id,
        arm: 'no-low',
        reason: stoppedArm?.reason,
        actor: GUARDRAIL_ACTOR,
        stoppedAt: stoppedArm?.at,
      },
    },
  ]);
});
