/**
 * Ladder experiments (migration 016, core's experiments.ts): created as drafts with their ladders'
 * versions fixed, started (draft → running, refused when a running experiment covers the same videos),
 * stopped, and arms stopped one by one (a breached guardrail). Every change appends to the history.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@streamloop/core/errors';
import {
  bucketRanges,
  type Experiment,
  type ExperimentDefinition,
  type ExperimentEvent,
  type ExperimentScope,
  parseExperimentDefinition,
} from '@streamloop/core/experiments';
import type { ExperimentArmStopped } from '@streamloop/core/schemas/experiment-event';
import { EVENT_NAMES, TOPICS } from '@streamloop/core/topics';
import type { Catalog, Queryable } from './catalog.js';
import { requireLadder } from './ladder-repository.js';
import { enqueueOutbox } from './outbox-repository.js';

interface ExperimentRow {
  id: string;
  definition: ExperimentDefinition;
  arms: Experiment['arms'];
  status: Experiment['status'];
  salt: string;
  created_by: string;
  created_at: Date | string;
  started_at: Date | string | null;
  stopped_at: Date | string | null;
  history: ExperimentEvent[];
}

/** An experiment with the salt its viewers are hashed with (never shown by the API). */
export interface StoredExperiment extends Experiment {
  salt: string;
}

const COLUMNS = 'id, definition, arms, status, salt, created_by, created_at, started_at, stopped_at, history';
const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

function toExperiment(row: ExperimentRow): StoredExperiment {
  return {
    id: row.id,
    ...row.definition,
    arms: row.arms,
    status: row.status,
    salt: row.salt,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: iso(row.started_at),
    stoppedAt: iso(row.stopped_at),
    history: row.history,
  };
}

const event = (actor: string, action: string, detail?: string): string =>
  JSON.stringify([
    { at: new Date().toISOString(), actor, action, ...(detail === undefined ? {} : { detail }) },
  ]);

/** The arms as served: ladder versions resolved (404 for an unknown ladder), control flag, buckets. */
async function resolveArms(db: Queryable, definition: ExperimentDefinition): Promise<Experiment['arms']> {
  const ranges = bucketRanges(definition.arms);
  const arms: Experiment['arms'] = [];
  for (const [i, arm] of definition.arms.entries()) {
    const ladder = await requireLadder(db, arm.ladderId, arm.ladderVersion);
    arms.push({
      ...arm,
      ladderVersion: ladder.version,
      control: arm.control === true,
      buckets: ranges[i] as { from: number; to: number },
      stopped: null,
    });
  }
  return arms;
}

export async function createExperiment(
  catalog: Catalog,
  value: unknown,
  createdBy: string,
): Promise<StoredExperiment> {
  const definition = parseExperimentDefinition(value);
  const arms = await resolveArms(catalog, definition);
  const id = `exp-${randomBytes(5).toString('hex')}`;
  const rows = await catalog.query<ExperimentRow>(
    `INSERT INTO experiments (id, definition, arms, status, salt, created_by, history)
     VALUES ($1, $2::jsonb, $3::jsonb, 'draft', $4, $5, $6::jsonb) RETURNING ${COLUMNS}`,
    [
      id,
      JSON.stringify(definition),
      JSON.stringify(arms),
      randomBytes(16).toString('hex'),
      createdBy,
      event(createdBy, 'created'),
    ],
  );
  return toExperiment(rows[0] as ExperimentRow);
}

export async function getExperiment(db: Queryable, id: string): Promise<StoredExperiment | undefined> {
  const rows = await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments WHERE id = $1`, [id]);
  return rows[0] && toExperiment(rows[0]);
}

export async function requireExperiment(db: Queryable, id: string): Promise<StoredExperiment> {
  const experiment = await getExperiment(db, id);
  if (experiment === undefined) throw new AppError('ERR_NOT_FOUND', `no experiment '${id}'`);
  return experiment;
}

/** Newest first; `status` narrows it. */
export async function listExperiments(
  db: Queryable,
  status?: Experiment['status'],
): Promise<StoredExperiment[]> {
  const rows =
    status === undefined
      ? await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments ORDER BY created_at DESC, id`)
      : await db.query<ExperimentRow>(
          `SELECT ${COLUMNS} FROM experiments WHERE status = $1 ORDER BY created_at DESC, id`,
          [status],
        );
  return rows.map(toExperiment);
}

/** Replaces a draft's definition; a running or ended experiment's arms never change (409). */
export async function updateDraftExperiment(
  catalog: Catalog,
  id: string,
  value: unknown,
  actor: string,
): Promise<StoredExperiment> {
  const definition = parseExperimentDefinition(value);
  const arms = await resolveArms(catalog, definition);
  const rows = await catalog.query<ExperimentRow>(
    `UPDATE experiments SET definition = $2::jsonb, arms = $3::jsonb, history = history || $4::jsonb
     WHERE id = $1 AND status = 'draft' RETURNING ${COLUMNS}`,
    [id, JSON.stringify(definition), JSON.stringify(arms), event(actor, 'edited')],
  );
  if (rows[0] !== undefined) return toExperiment(rows[0]);
  const current = await requireExperiment(catalog, id);
  throw new AppError(
    'ERR_CONFLICT',
    `experiment ${id} is ${current.status}: only a draft can be edited (its viewers' arms must not change under them)`,
  );
}

/** The videos a scope names today: its ids, and the videos with any of its tags. */
export async function videosInScope(db: Queryable, scope: ExperimentScope): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM videos WHERE id = ANY($1::text[]) OR tags && $2::text[] ORDER BY id`,
    [scope.videoIds ?? [], scope.tags ?? []],
  );
  return rows.map((r) => r.id);
}

/**
 * draft → running. Refused (409) when it is not a draft, or when a running experiment covers any of
 * the same videos (or both take every new upload): a viewer must be in one ladder experiment per video.
 * Returns the experiment and the videos in its scope now.
 */
export async function startExperiment(
  catalog: Catalog,
  id: string,
  actor: string,
): Promise<{ experiment: StoredExperiment; videoIds: string[] }> {
  return catalog.transaction(async (tx) => {
    // One start at a time: two experiments starting together must still see each other.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['streamloop:experiments:start']);
    const experiment = await requireExperiment(tx, id);
    if (experiment.status !== 'draft') {
      throw new AppError(
        'ERR_CONFLICT',
        `experiment ${id} is ${experiment.status}; only a draft can be started`,
      );
    }
    const videoIds = await videosInScope(tx, experiment.scope);
    for (const other of await listExperiments(tx, 'running')) {
      const theirs = new Set(await videosInScope(tx, other.scope));
      const shared = videoIds.filter((v) => theirs.has(v));
      if (shared.length > 0 || (experiment.scope.newUploads === true && other.scope.newUploads === true)) {
        throw new AppError(
          'ERR_CONFLICT',
          `experiment ${other.id} ('${other.name}') is running on ${shared.length > 0 ? `the same videos (${shared.slice(0, 5).join(', ')})` : 'every new upload too'}; stop it first or narrow the scope`,
        );
      }
    }
    const rows = await tx.query<ExperimentRow>(
      `UPDATE experiments SET status = 'running', started_at = date_trunc('milliseconds', now()),
         history = history || $2::jsonb
       WHERE id = $1 AND status = 'draft' RETURNING ${COLUMNS}`,
      [id, event(actor, 'started', `${videoIds.length} videos in scope`)],
    );
    return { experiment: toExperiment(rows[0] as ExperimentRow), videoIds };
  });
}

/** running → stopped (every viewer back on the primary ladder); 409 when it is not running. */
export async function stopExperiment(
  catalog: Catalog,
  id: string,
  actor: string,
  reason = 'stopped by hand',
): Promise<StoredExperiment> {
  const rows = await catalog.query<ExperimentRow>(
    `UPDATE experiments SET status = 'stopped', stopped_at = date_trunc('milliseconds', now()),
       history = history || $2::jsonb
     WHERE id = $1 AND status = 'running' RETURNING ${COLUMNS}`,
    [id, event(actor, 'stopped', reason)],
  );
  if (rows[0] !== undefined) return toExperiment(rows[0]);
  const current = await requireExperiment(catalog, id);
  throw new AppError(
    'ERR_CONFLICT',
    `experiment ${id} is ${current.status}; only a running one can be stopped`,
  );
}

/**
 * Stops one treatment arm (a guardrail breached): its viewers get control from now on, and why is
 * kept on the arm and in the history; `experiment.arm_stopped.v1` goes to the outbox in the same
 * transaction (published by the outbox relay). False when the arm was already stopped or the experiment is not running.
 */
export async function stopArm(
  catalog: Catalog,
  id: string,
  armName: string,
  reason: string,
  actor: string,
): Promise<boolean> {
  return catalog.transaction(async (tx) => {
    const rows = await tx.query<ExperimentRow>(
      `SELECT ${COLUMNS} FROM experiments WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const row = rows[0];
    if (row === undefined || row.status !== 'running') return false;
    const arm = row.arms.find((a) => a.name === armName);
    if (arm === undefined) throw new AppError('ERR_NOT_FOUND', `experiment ${id} has no arm '${armName}'`);
    if (arm.control)
      throw new AppError('ERR_CONFLICT', `'${armName}' is the control arm; stop the experiment instead`);
    if (arm.stopped !== null) return false;
    const stoppedAt = new Date().toISOString();
    const arms = row.arms.map((a) => (a.name === armName ? { ...a, stopped: { at: stoppedAt, reason } } : a));
    await tx.query('UPDATE experiments SET arms = $2::jsonb, history = history || $3::jsonb WHERE id = $1', [
      id,
      JSON.stringify(arms),
      event(actor, `stopped arm ${armName}`, reason),
    ]);
    const stopped: ExperimentArmStopped = {
      event: EVENT_NAMES.experimentArmStopped,
      experimentId: id,
      arm: armName,
      reason,
      actor,
      stoppedAt,
    };
    await enqueueOutbox(tx, { topic: TOPICS.experimentEvents.name, key: id, payload: stopped });
    return true;
  });
}
