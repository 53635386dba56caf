/**
 * Versioned feature sets on the FeatureStore port, so they work the same on Redis and in memory.
 *
 * A publish writes a whole set under a new version number, reads it back to verify it, and only then
 * makes it live with one pointer write. A reader resolves the pointer once per request and reads that
 * version only, so it never sees half of one version and half of another. The version before the live
 * one stays whole for `rollbackFeatureSet`; older ones expire a while after they stop being read.
 *
 * Layout (under the store's key prefix):
 * - `fs:<set>:v<N>`  hash: entity id → the row's JSON
 * - `fs:<set>:live`  the live version number
 * - `fs:<set>:meta`  hash: `v<N>` → FeatureSetVersion JSON for each kept version, `previous` → N
 * - `fs:seq`         hash: <set> → the last version number handed out
 */
import { createHash } from 'node:crypto';
import { compareCodePoints } from '@streamloop/core/code-point-order';
import { reasonOf } from '@streamloop/core/errors';
import {
  FEATURE_SET_NAMES,
  type FeatureRow,
  type FeatureSetName,
  FeatureSetVersion,
  type FeatureStatusResponse,
  validateTitleFeatures,
  validateViewerFeatures,
} from '@streamloop/core/features';
import { createValidator, describeIssues, type Validation } from '@streamloop/core/validate';
import { checkTtlMs, type FeatureStore } from './feature-store.js';
import { VersionCache } from './version-cache.js';

export interface PublishFeatureSetOptions {
  /** The newest source event the rows were computed from (RFC 3339); null when there was none. */
  newestSourceAt: string | null;
  /** Milliseconds since the epoch, for `publishedAt`; injectable for tests. */
  now?: () => number;
  /**
   * How long a version lives after it stops being live or previous. A reader that resolved the
   * pointer just before a publish still finishes its request on the old version within this time.
   */
  retireAfterMs?: number;
  /** Rows per HSET while writing and fields per HMGET while verifying. */
  chunkSize?: number;
}

/** One version of a set, opened for reading; every read goes to this version and no other. */
export interface LiveFeatureSet<S extends FeatureSetName> {
  version: FeatureSetVersion;
  /** null when the entity has no row in this version. */
  get(entity: string): Promise<FeatureRow<S> | null>;
  /** One answer per entity, in the order asked. */
  getMany(entities: readonly string[]): Promise<(FeatureRow<S> | null)[]>;
}

export type FeatureSetStatus = FeatureStatusResponse['sets'][number];

/** A rollback the set's state does not allow (nothing previous, or its rows expired): an API answers 409. */
export class FeatureSetStateError extends Error {
  override name = 'FeatureSetStateError';
}

export const DEFAULT_RETIRE_AFTER_MS = 60 * 60_000;
export const DEFAULT_CHUNK_SIZE = 500;
/**
 * A version being written expires unless its publish makes it live: a publisher that dies mid-write
 * (or loses Redis and cannot delete what it wrote) leaves nothing behind for good. Every chunk
 * renews it, so only a stall this long between two writes of one publish would lose rows.
 */
const UNPUBLISHED_TTL_MS = 60 * 60_000;

export const FEATURE_SET_SEQ_KEY = 'fs:seq';

/** The keys of one set, for operators and tests; the layout is described at the top of this file. */
export function featureSetKeys(set: FeatureSetName) {
  return {
    live: `fs:${set}:live`,
    meta: `fs:${set}:meta`,
    version: (version: number) => `fs:${set}:v${version}`,
  };
}

const PREVIOUS_FIELD = 'previous';
const VERSION_FIELD = /^v([1-9]\d*)$/;

/** Per set: how its rows are checked and which field names the entity. */
const SETS: {
  [S in FeatureSetName]: { validate: (row: unknown) => Validation<FeatureRow<S>>; idField: string };
} = {
  title: { validate: validateTitleFeatures, idField: 'videoId' },
  viewer: { validate: validateViewerFeatures, idField: 'viewerId' },
};

const validateVersion = createValidator(FeatureSetVersion);
const validateNewestSourceAt = createValidator(FeatureSetVersion.properties.newestSourceAt);

function checkSet(set: FeatureSetName): void {
  if (!FEATURE_SET_NAMES.includes(set)) {
    throw new RangeError(
      `unknown feature set ${JSON.stringify(set)}; the sets are ${FEATURE_SET_NAMES.join(', ')}`,
    );
  }
}

function checkChunkSize(chunkSize: number): number {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  return chunkSize;
}

function entityOf(set: FeatureSetName, row: unknown): string | undefined {
  const id = (row as Record<string, unknown> | null)?.[SETS[set].idField];
  return typeof id === 'string' ? id : undefined;
}

/** One line of the checksum, as FeatureSetVersion defines it. */
const checksumLine = (entity: string, json: string): string => `${entity}\t${json}\n`;

function parseVersionNumber(raw: string | null | undefined, where: string): number | null {
  if (raw === null || raw === undefined) return null;
  const version = Number(raw);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new Error(`${where} holds ${JSON.stringify(raw)}, not a version number; publish the set again`);
  }
  return version;
}

function parseVersionRecord(set: FeatureSetName, version: number, raw: string | null): FeatureSetVersion {
  const where = `feature set '${set}' v${version}`;
  if (raw === null) {
    throw new Error(`${where} has no record in ${featureSetKeys(set).meta}; publish the set again`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${where} has an unreadable record (${reasonOf(err)}); publish the set again`);
  }
  const checked = validateVersion(parsed);
  if (!checked.ok) {
    throw new Error(
      `${where} has an invalid record (${describeIssues(checked.issues)}); publish the set again`,
    );
  }
  return checked.value;
}

const readLive = async (store: FeatureStore, set: FeatureSetName): Promise<number | null> => {
  const key = featureSetKeys(set).live;
  return parseVersionNumber(await store.get(key), key);
};

const readPrevious = async (store: FeatureStore, set: FeatureSetName): Promise<number | null> => {
  const { meta } = featureSetKeys(set);
  return parseVersionNumber(await store.hget(meta, PREVIOUS_FIELD), `${meta} ${PREVIOUS_FIELD}`);
};

const readRecord = async (store: FeatureStore, set: FeatureSetName, version: number) =>
  parseVersionRecord(set, version, await store.hget(featureSetKeys(set).meta, `v${version}`));

/** HMGET in bounded chunks, so a large read never becomes one huge command. */
async function* readChunks(
  store: FeatureStore,
  key: string,
  fields: readonly string[],
  chunkSize: number,
): AsyncGenerator<{ fields: readonly string[]; values: (string | null)[] }> {
  for (let start = 0; start < fields.length; start += chunkSize) {
    const chunk = fields.slice(start, start + chunkSize);
    yield { fields: chunk, values: await store.hmget(key, chunk) };
  }
}

type Step = 'allocating a version' | 'writing rows' | 'verifying' | 'going live';

/**
 * Validates, writes, verifies and then makes `rows` the live version of `set`. Fails with the cause
 * and leaves the live version as it was when any row is invalid, the store fails, or the version
 * read back differs from what was written. Holds the rows' JSON until the checksum is computed.
 */
export async function publishFeatureSet<S extends FeatureSetName>(
  store: FeatureStore,
  set: S,
  rows: Iterable<FeatureRow<S>> | AsyncIterable<FeatureRow<S>>,
  options: PublishFeatureSetOptions,
): Promise<FeatureSetVersion> {
  checkSet(set);
  const now = options.now ?? Date.now;
  const retireAfterMs = checkTtlMs(options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS);
  const chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const newestSourceAt = validateNewestSourceAt(options.newestSourceAt);
  if (!newestSourceAt.ok) {
    throw new RangeError(
      `newestSourceAt must be an RFC 3339 date-time or null, got ${JSON.stringify(options.newestSourceAt)}`,
    );
  }
  const keys = featureSetKeys(set);

  let step: Step = 'allocating a version';
  let version: number | undefined;
  let restorePrevious: (() => Promise<unknown>) | undefined;
  try {
    version = await store.hincrBy(FEATURE_SET_SEQ_KEY, set, 1);
    const versionKey = keys.version(version);
    if ((await store.hlen(versionKey)) > 0) {
      version = undefined; // Not ours to delete.
      throw new Error(
        `${versionKey} already exists, so ${FEATURE_SET_SEQ_KEY} was reset; set its '${set}' field to the highest version in use`,
      );
    }

    step = 'writing rows';
    const written = await writeRows(store, set, versionKey, rows, chunkSize);
    if (written.size === 0) {
      throw new Error(
        `no rows; an empty set would make every lookup miss, so nothing was published (skip the publish when the source has no data)`,
      );
    }
    const entities = [...written.keys()].sort(compareCodePoints);
    const hash = createHash('sha256');
    let bytes = 0;
    for (const entity of entities) {
      const json = written.get(entity)!;
      hash.update(checksumLine(entity, json));
      bytes += Buffer.byteLength(json);
    }
    const record: FeatureSetVersion = {
      set,
      version,
      rows: entities.length,
      bytes,
      checksum: hash.digest('hex'),
      publishedAt: new Date(now()).toISOString(),
      newestSourceAt: newestSourceAt.value,
    };

    step = 'verifying';
    await verify(store, record, versionKey, entities, chunkSize);

    step = 'going live';
    const live = await readLive(store, set);
    const previous = await readPrevious(store, set);
    // The record and `previous` land before the pointer: a crash in between leaves `previous` naming
    // the live version (nothing to roll back to) rather than a pointer with no record.
    restorePrevious = () =>
      previous === null
        ? store.hdel(keys.meta, PREVIOUS_FIELD)
        : store.hset(keys.meta, { [PREVIOUS_FIELD]: previous });
    await store.hset(keys.meta, {
      [`v${version}`]: JSON.stringify(record),
      ...(live === null ? {} : { [PREVIOUS_FIELD]: live }),
    });
    if (!(await store.persist(versionKey))) {
      throw new Error(`${versionKey} expired before it could go live; publish again`);
    }
    await swapPointer(store, keys.live, version);
    // Live now: nothing below may fail the publish (retire reports nothing, see there).
    await retire(store, set, version, live, retireAfterMs);
    return record;
  } catch (err) {
    const what = version === undefined ? `feature set '${set}'` : `feature set '${set}' v${version}`;
    const { service, target } = store.adapter;
    const leftovers = version === undefined ? '' : await discard(store, set, version, restorePrevious);
    throw new Error(
      `publishing ${what} to ${service} (${target}) failed while ${step}, so the live version is unchanged: ${reasonOf(err)}${leftovers}`,
      { cause: err },
    );
  }
}

/** Validates and writes the rows in chunks; returns entity → JSON, in arrival order. */
async function writeRows<S extends FeatureSetName>(
  store: FeatureStore,
  set: S,
  versionKey: string,
  rows: Iterable<FeatureRow<S>> | AsyncIterable<FeatureRow<S>>,
  chunkSize: number,
): Promise<Map<string, string>> {
  const { validate, idField } = SETS[set];
  const written = new Map<string, string>();
  // No prototype, so an entity named `__proto__` is a field like any other.
  const newChunk = (): Record<string, string> => Object.create(null);
  let chunk = newChunk();
  let pending = 0;
  let index = -1;
  for await (const row of rows) {
    index++;
    const checked = validate(row);
    // The schema makes the id a non-empty string, so past validation the entity is always there.
    const entity = entityOf(set, row);
    const name = () =>
      `row ${index} (${idField} ${entity === undefined ? 'missing' : JSON.stringify(entity)})`;
    if (!checked.ok)
      throw new Error(`${name()} is not a valid '${set}' row: ${describeIssues(checked.issues)}`);
    if (written.has(entity!))
      throw new Error(`${name()} repeats an entity of this publish; give each one row`);
    const json = JSON.stringify(checked.value);
    written.set(entity!, json);
    chunk[entity!] = json;
    if (++pending === chunkSize) {
      await store.hset(versionKey, chunk, { ttlMs: UNPUBLISHED_TTL_MS });
      chunk = newChunk();
      pending = 0;
    }
  }
  if (pending > 0) await store.hset(versionKey, chunk, { ttlMs: UNPUBLISHED_TTL_MS });
  return written;
}

/** Reads the version back: every row must be there, byte for byte, and nothing else. */
async function verify(
  store: FeatureStore,
  record: FeatureSetVersion,
  versionKey: string,
  entities: readonly string[],
  chunkSize: number,
): Promise<void> {
  const fields = await store.hlen(versionKey);
  if (fields !== record.rows) {
    throw new Error(`${versionKey} holds ${fields} rows after writing ${record.rows}; publish again`);
  }
  const hash = createHash('sha256');
  for await (const chunk of readChunks(store, versionKey, entities, chunkSize)) {
    chunk.values.forEach((json, i) => {
      hash.update(json === null ? '' : checksumLine(chunk.fields[i]!, json));
    });
  }
  const readBack = hash.digest('hex');
  if (readBack !== record.checksum) {
    throw new Error(
      `${versionKey} reads back with checksum ${readBack}, not the ${record.checksum} written; the store lost or altered rows, publish again`,
    );
  }
}

/**
 * One pointer write. When its reply is lost the write may still have landed, so the pointer is read
 * again: the version must not be deleted as a failed publish if readers are already on it.
 */
async function swapPointer(store: FeatureStore, liveKey: string, version: number): Promise<void> {
  try {
    await store.set(liveKey, String(version));
  } catch (err) {
    const now = await store.get(liveKey).catch(() => undefined);
    if (now === String(version)) return;
    throw err;
  }
}

/**
 * After going live: versions below this one other than live and previous expire and leave the meta.
 * Higher numbers belong to publishes still running. Failures are left for the next publish, which
 * walks the same records again, rather than reported as a failed publish of a version now live.
 */
async function retire(
  store: FeatureStore,
  set: FeatureSetName,
  version: number,
  replaced: number | null,
  retireAfterMs: number,
): Promise<void> {
  const keys = featureSetKeys(set);
  try {
    // Live and previous must not expire; a concurrent publish's retire may have just set an expiry on either.
    await store.persist(keys.version(version));
    if (replaced !== null) await store.persist(keys.version(replaced));
    const meta = await store.hgetall(keys.meta);
    const keep = new Set([await readLive(store, set), parseVersionNumber(meta[PREVIOUS_FIELD], keys.meta)]);
    for (const field of Object.keys(meta)) {
      const old = Number(VERSION_FIELD.exec(field)?.[1]);
      if (!(old < version) || keep.has(old)) continue;
      // Expire before forgetting: a hash without a record and without an expiry would never go.
      await store.expire(keys.version(old), retireAfterMs);
      await store.hdel(keys.meta, field);
    }
  } catch {
    // Best effort, see above.
  }
}

/** Best-effort removal of a failed publish; returns what it could not remove, for the error. */
async function discard(
  store: FeatureStore,
  set: FeatureSetName,
  version: number,
  restorePrevious: (() => Promise<unknown>) | undefined,
): Promise<string> {
  const keys = featureSetKeys(set);
  try {
    await store.del(keys.version(version));
    await store.hdel(keys.meta, `v${version}`);
    await restorePrevious?.();
    return '';
  } catch (err) {
    // Before its record is written the version still carries its unpublished expiry; after, the
    // record makes the next publish retire it.
    const fate =
      restorePrevious === undefined
        ? `it expires within ${UNPUBLISHED_TTL_MS / 60_000} min`
        : 'the next publish retires it';
    return `; its partial ${keys.version(version)} could not be removed either (${reasonOf(err)}), ${fate}`;
  }
}

/** Per store: the version records and rows its readers read lately (version-cache.ts). */
const readerCaches = new WeakMap<
  FeatureStore,
  { records: VersionCache<FeatureSetVersion>; rows: VersionCache<unknown> }
>();

function readerCacheOf(store: FeatureStore) {
  let cache = readerCaches.get(store);
  if (cache === undefined) {
    cache = { records: new VersionCache({ maxEntries: 64 }), rows: new VersionCache() };
    readerCaches.set(store, cache);
  }
  return cache;
}

/**
 * Resolves the live version once; null when the set has never been published. The pointer is read
 * every time; the version's record and rows are remembered for a minute (version-cache.ts), because
 * a version never changes once live. Returned rows are shared with other readers: do not change them.
 */
export async function openLiveFeatureSet<S extends FeatureSetName>(
  store: FeatureStore,
  set: S,
): Promise<LiveFeatureSet<S> | null> {
  checkSet(set);
  const live = await readLive(store, set);
  if (live === null) return null;
  const cache = readerCacheOf(store);
  const versionKey = featureSetKeys(set).version(live);
  const remembered = cache.records.get(versionKey);
  const version = remembered.found ? remembered.value : await readRecord(store, set, live);
  if (!remembered.found) cache.records.set(versionKey, version);
  const { validate } = SETS[set];

  const parseRow = (entity: string, json: string | null): FeatureRow<S> | null => {
    if (json === null) return null;
    let checked: Validation<FeatureRow<S>>;
    try {
      checked = validate(JSON.parse(json));
    } catch (err) {
      checked = { ok: false, issues: [{ path: '', message: reasonOf(err) }] };
    }
    if (checked.ok) return checked.value;
    throw new Error(
      `feature set '${set}' v${live} holds an invalid row for ${JSON.stringify(entity)}: ${describeIssues(checked.issues)}; fix the job that computes it and publish again`,
    );
  };
  // A version key holds no line break, so the first one ends it: no two (version, entity) share a key.
  const rowKey = (entity: string) => `${versionKey}\n${entity}`;

  const getMany = async (entities: readonly string[]): Promise<(FeatureRow<S> | null)[]> => {
    const rows = new Array<FeatureRow<S> | null>(entities.length);
    const missing: number[] = [];
    entities.forEach((entity, i) => {
      const row = cache.rows.get(rowKey(entity));
      if (row.found) rows[i] = row.value as FeatureRow<S> | null;
      else missing.push(i);
    });
    let at = 0;
    const fields = missing.map((i) => entities[i]!);
    for await (const chunk of readChunks(store, versionKey, fields, DEFAULT_CHUNK_SIZE)) {
      chunk.values.forEach((json, j) => {
        const entity = chunk.fields[j]!;
        const row = parseRow(entity, json);
        cache.rows.set(rowKey(entity), row);
        rows[missing[at++]!] = row;
      });
    }
    return rows;
  };

  return {
    version,
    async get(entity) {
      return (await getMany([entity]))[0] ?? null;
    },
    getMany,
  };
}

/**
 * Makes the previous version live again, and the live one previous, so a second rollback undoes the
 * first. Refuses when there is no previous version or its rows have expired.
 */
export async function rollbackFeatureSet(
  store: FeatureStore,
  set: FeatureSetName,
): Promise<FeatureSetVersion> {
  checkSet(set);
  const keys = featureSetKeys(set);
  const live = await readLive(store, set);
  const previous = await readPrevious(store, set);
  if (live === null || previous === null || previous === live) {
    throw new FeatureSetStateError(
      `feature set '${set}' has no previous version to roll back to (live: ${live === null ? 'none' : `v${live}`}); publish a new version instead`,
    );
  }
  const record = await readRecord(store, set, previous);
  const versionKey = keys.version(previous);
  // Persist before counting: once counted whole, the rows must not expire under the new readers.
  await store.persist(versionKey);
  const fields = await store.hlen(versionKey);
  if (fields !== record.rows) {
    throw new FeatureSetStateError(
      `cannot roll feature set '${set}' back to v${previous}: it has expired (${fields} of its ${record.rows} rows left); publish a new version instead`,
    );
  }
  // Pointer first: a crash before `previous` is rewritten leaves previous = live, which refuses a
  // second rollback instead of making a third version live.
  await store.set(keys.live, String(previous));
  await store.hset(keys.meta, { [PREVIOUS_FIELD]: live });
  return record;
}

/** One entry of `GET /api/v1/features/status`. */
export async function featureSetStatus(
  store: FeatureStore,
  set: FeatureSetName,
  now: () => number = Date.now,
): Promise<FeatureSetStatus> {
  checkSet(set);
  const liveVersion = await readLive(store, set);
  const previousVersion = await readPrevious(store, set);
  const live = liveVersion === null ? null : await readRecord(store, set, liveVersion);
  const previous =
    previousVersion === null || previousVersion === liveVersion
      ? null
      : await readRecord(store, set, previousVersion);
  const newest = live?.newestSourceAt;
  const freshnessSeconds =
    newest === null || newest === undefined ? null : Math.max(0, (now() - Date.parse(newest)) / 1000);
  return { set, live, previous, freshnessSeconds };
}
