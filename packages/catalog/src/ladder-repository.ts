/**
 * Named, versioned ladders (core's ladders.ts). The catalog assigns versions: posting a definition
 * makes `id@(newest + 1)`, unless it equals the newest version, which is then returned as it is (a
 * retried POST does not mint a version). Versions are never changed or deleted: videos and experiment
 * arms name them.
 */
import { AppError } from '@streamloop/core/errors';
import {
  type DerivedLadderDefinition,
  isDerivedDefinition,
  keepsRung,
  parseDerivedLadderDefinition,
  parseLadderDefinition,
  type StoredLadder,
} from '@streamloop/core/ladders';
import type { Ladder } from '@streamloop/core/schemas/ladder';
import { type Catalog, CatalogConflictError, type Queryable } from './catalog.js';

interface LadderRow {
  id: string;
  version: number;
  definition: Omit<StoredDefinition, 'id'>;
  created_by: string;
  created_at: Date | string;
}

const COLUMNS = 'id, version, definition, created_by, created_at';

function toLadder(row: LadderRow): StoredLadder {
  const { description, ...definition } = row.definition;
  return {
    id: row.id,
    version: row.version,
    ...definition,
    ...(description === undefined ? {} : { description }),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The stored JSON: the definition without its id (the key says it), in one field order. */
function definitionJson(definition: StoredDefinition): string {
  const { id: _id, ...rest } = definition;
  return JSON.stringify(rest);
}

/** `id@version`, or the newest version of `id` when `version` is undefined. */
export async function getLadder(
  db: Queryable,
  id: string,
  version?: number,
): Promise<StoredLadder | undefined> {
  const rows =
    version === undefined
      ? await db.query<LadderRow>(
          `SELECT ${COLUMNS} FROM ladders WHERE id = $1 ORDER BY version DESC LIMIT 1`,
          [id],
        )
      : await db.query<LadderRow>(`SELECT ${COLUMNS} FROM ladders WHERE id = $1 AND version = $2`, [
          id,
          version,
        ]);
  const row = rows[0];
  return row && toLadder(row);
}

/** `getLadder`, or a 404 naming what is missing. */
export async function requireLadder(db: Queryable, id: string, version?: number): Promise<StoredLadder> {
  const ladder = await getLadder(db, id, version);
  if (ladder !== undefined) return ladder;
  throw new AppError(
    'ERR_NOT_FOUND',
    version === undefined ? `no ladder '${id}'` : `ladder '${id}' has no version ${version}`,
  );
}

/** The newest version of every ladder, by id, with how many versions each has. */
export async function listLadders(db: Queryable): Promise<(StoredLadder & { versions: number })[]> {
  const rows = await db.query<LadderRow & { versions: number | string }>(
    `SELECT ${COLUMNS}, versions FROM (
       SELECT ${COLUMNS}, count(*) OVER (PARTITION BY id) AS versions,
              row_number() OVER (PARTITION BY id ORDER BY version DESC) AS newest
       FROM ladders) AS l
     WHERE newest = 1 ORDER BY id`,
  );
  return rows.map((row) => ({ ...toLadder(row), versions: Number(row.versions) }));
}

/** Every version of one ladder, oldest first. */
export async function listLadderVersions(db: Queryable, id: string): Promise<StoredLadder[]> {
  const rows = await db.query<LadderRow>(`SELECT ${COLUMNS} FROM ladders WHERE id = $1 ORDER BY version`, [
    id,
  ]);
  return rows.map(toLadder);
}

/** What the catalog stores for a version (besides id and version): a checked definition. */
type StoredDefinition = Omit<StoredLadder, 'version' | 'createdBy' | 'createdAt'>;

/**
 * A derived definition resolved against its source: the source's newest (or named) version, which
 * must be an encoded ladder, and the rungs of it the filter keeps (at least one).
 */
async function resolveDerived(db: Queryable, definition: DerivedLadderDefinition): Promise<StoredDefinition> {
  const { ladderId, version } = definition.derivedFrom;
  const refused = (message: string) =>
    new AppError('ERR_VALIDATION', `invalid derived ladder: /derivedFrom: ${message}`);
  if (ladderId === definition.id) throw refused('a ladder cannot be derived from itself');
  const source = await getLadder(db, ladderId, version);
  if (source === undefined)
    throw refused(
      version === undefined ? `no ladder '${ladderId}'` : `ladder '${ladderId}' has no version ${version}`,
    );
  if (source.derivedFrom !== undefined)
    throw refused(`'${ladderId}' is itself derived; derive from '${source.derivedFrom.ladderId}'`);
  const rungs = source.rungs.filter((rung) =>
    keepsRung(definition.filter, { shortSide: rung.height, videoBitrateKbps: rung.videoBitrateKbps }),
  );
  if (rungs.length === 0)
    throw new AppError(
      'ERR_VALIDATION',
      `invalid derived ladder: /filter: keeps none of ${ladderId}@${source.version}'s rungs`,
    );
  return {
    id: definition.id,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    derivedFrom: { ladderId, version: source.version },
    filter: definition.filter,
    rungs,
    audioBitrateKbps: source.audioBitrateKbps,
    presets: source.presets,
  };
}

/**
 * Stores `value` (an encoded or a derived ladder definition) as the next version of its id;
 * `created: false` with the newest version when it is the same definition. Checked here too (not
 * only by the route): transcode and delivery trust what they read. An id stays one kind: a derived
 * ladder's next version is derived too.
 */
export async function createLadderVersion(
  catalog: Catalog,
  value: unknown,
  createdBy: string,
): Promise<{ ladder: StoredLadder; created: boolean }> {
  const definition: StoredDefinition = isDerivedDefinition(value)
    ? await resolveDerived(catalog, parseDerivedLadderDefinition(value))
    : parseLadderDefinition(value);
  const json = definitionJson(definition);
  // Two writers of the same id race for the same next version: the loser's insert hits the primary
  // key, and it tries again against the new newest version.
  for (let attempt = 0; ; attempt++) {
    try {
      return await catalog.transaction(async (tx) => {
        const newest = await tx.query<LadderRow & { same: boolean }>(
          `SELECT ${COLUMNS}, definition = $2::jsonb AS same FROM ladders WHERE id = $1
           ORDER BY version DESC LIMIT 1`,
          [definition.id, json],
        );
        const last = newest[0];
        if (last?.same) return { ladder: toLadder(last), created: false };
        if (
          last !== undefined &&
          (last.definition.derivedFrom === undefined) !== (definition.derivedFrom === undefined)
        ) {
          const kind = last.definition.derivedFrom === undefined ? 'encoded' : 'derived';
          throw new AppError(
            'ERR_CONFLICT',
            `ladder '${definition.id}' is ${kind}; its versions stay ${kind} (use another id)`,
          );
        }
        const rows = await tx.query<LadderRow>(
          `INSERT INTO ladders (id, version, definition, created_by) VALUES ($1, $2, $3::jsonb, $4)
           RETURNING ${COLUMNS}`,
          [definition.id, (last?.version ?? 0) + 1, json, createdBy],
        );
        return { ladder: toLadder(rows[0] as LadderRow), created: true };
      });
    } catch (err) {
      if (!(err instanceof CatalogConflictError) || attempt >= 5) throw err;
    }
  }
}

/**
 * Stores built-in ladders (the default) at their own version when that version is not there yet.
 * A stored version is never overwritten: if it differs from the code's, the code is wrong.
 */
export async function seedLadders(db: Queryable, ladders: readonly Ladder[]): Promise<void> {
  for (const { version, ...definition } of ladders) {
    const checked = parseLadderDefinition(definition);
    await db.query(
      `INSERT INTO ladders (id, version, definition, created_by) VALUES ($1, $2, $3::jsonb, 'streamloop')
       ON CONFLICT (id, version) DO NOTHING`,
      [checked.id, version, definitionJson(checked)],
    );
  }
}
