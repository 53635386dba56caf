import { randomUUID } from 'node:crypto';
import { createWriteStream, type Dirent, type Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compareCodePoints } from '@streamloop/core/code-point-order';
import type { AdapterInfo } from '@streamloop/core/port';
import { isValidObjectKey, validateDeletePrefix, validateObjectKey, validatePrefix } from './object-key.js';
import {
  type ByteRange,
  checkRange,
  DEFAULT_CONTENT_TYPE,
  type GetResult,
  type ObjectInfo,
  ObjectKeyConflictError,
  type ObjectStore,
  type PutOptions,
  RangeNotSatisfiableError,
  toBuffer,
} from './object-store.js';

export interface LocalObjectStoreOptions {
  /** Folder that holds everything: data/ (the objects), meta/ (content type sidecars), tmp/ (writes in flight). */
  root: string;
}

interface Sidecar {
  contentType?: string;
  cacheControl?: string;
}

// A temp file older than this belongs to a write that died with its process, never to one in flight.
const STALE_TEMP_MS = 60 * 60 * 1000;

const MISSING = new Set(['ENOENT', 'ENOTDIR']);
const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * The embedded default: objects are files under `<root>/data/<key>`, so an operator can browse them.
 * Writes land in tmp/ and are renamed into place, so a reader sees the old object or the new one,
 * never half of one. Content type and cache control live in a mirror tree under meta/ that listing
 * never walks. One machine only: the folder is not a shared store.
 */
export async function createLocalObjectStore(options: LocalObjectStoreOptions): Promise<ObjectStore> {
  const root = path.resolve(options.root);
  const dataDir = path.join(root, 'data');
  const metaDir = path.join(root, 'meta');
  const tmpDir = path.join(root, 'tmp');
  await Promise.all([dataDir, metaDir, tmpDir].map((dir) => mkdir(dir, { recursive: true })));
  await removeStaleTemps(tmpDir);

  const dataPath = (key: string): string => path.join(dataDir, ...key.split('/'));
  const metaPath = (key: string): string => path.join(metaDir, ...key.split('/'));
  const tempPath = (): string => path.join(tmpDir, randomUUID());

  const readSidecar = async (key: string): Promise<Sidecar> => {
    try {
      return JSON.parse(await readFile(metaPath(key), 'utf8')) as Sidecar;
    } catch {
      // An object written by hand (or whose sidecar was lost) still serves, as a generic binary.
      return {};
    }
  };

  const infoOf = (key: string, stats: Stats, sidecar?: Sidecar): ObjectInfo => ({
    key,
    size: stats.size,
    // Every write is a new file (rename), so inode + size + mtime change with every overwrite.
    etag: [stats.ino, stats.size, Math.round(stats.mtimeMs * 1000)].map((n) => n.toString(16)).join('-'),
    lastModified: stats.mtime,
    ...(sidecar === undefined
      ? {}
      : {
          contentType: sidecar.contentType ?? DEFAULT_CONTENT_TYPE,
          ...(sidecar.cacheControl === undefined ? {} : { cacheControl: sidecar.cacheControl }),
        }),
  });

  /** Moves a finished temp file to `target`, creating folders and retrying if a delete prunes them meanwhile. */
  const moveIntoPlace = async (key: string, temp: string, target: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(temp, target);
        return;
      } catch (err) {
        const code = codeOf(err);
        if (code === 'ENOTDIR' || code === 'EEXIST') {
          throw new ObjectKeyConflictError(key, 'an object exists at one of its parent folders');
        }
        if (code === 'EISDIR' || code === 'ENOTEMPTY') {
          // A leftover empty folder can go; a folder holding objects is a real conflict.
          const removed = await rmdir(target).then(
            () => true,
            () => false,
          );
          if (!removed || attempt > 3) throw new ObjectKeyConflictError(key, `objects exist under '${key}/'`);
          continue;
        }
        if (code === 'ENOENT' && attempt <= 3) continue;
        throw err;
      }
    }
  };

  const writeTemp = async (body: Buffer | Uint8Array | string | Readable): Promise<string> => {
    const temp = tempPath();
    // flush: fsync before close, so a crash never leaves a renamed but empty file.
    try {
      if (body instanceof Readable) {
        await pipeline(body, createWriteStream(temp, { flags: 'wx', flush: true }));
      } else {
        await writeFile(temp, toBuffer(body), { flag: 'wx', flush: true });
      }
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return temp;
  };

  const prune = async (from: string, stopAt: string): Promise<void> => {
    for (let dir = path.dirname(from); dir.startsWith(stopAt + path.sep); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): everything above is in use too
      }
    }
  };

  const removeObject = async (key: string): Promise<boolean> => {
    const target = dataPath(key);
    let removed = false;
    try {
      await unlink(target);
      removed = true;
    } catch (err) {
      // EISDIR/EPERM: the key names a folder of other objects, not an object.
      if (!MISSING.has(codeOf(err) ?? '') && codeOf(err) !== 'EISDIR' && codeOf(err) !== 'EPERM') throw err;
    }
    await unlink(metaPath(key)).catch(() => undefined);
    await Promise.all([prune(target, dataDir), prune(metaPath(key), metaDir)]);
    return removed;
  };

  async function* walk(dir: string, keyPrefix: string, namePrefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (MISSING.has(codeOf(err) ?? '')) return;
      throw err;
    }
    // A folder sorts as its name plus '/', which is where all of its keys sit in byte order.
    const ordered = entries
      .filter((entry) => entry.name.startsWith(namePrefix) && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => compareCodePoints(a.sortKey, b.sortKey));
    for (const { entry } of ordered) {
      const key = keyPrefix + entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* walk(full, `${key}/`, '');
        continue;
      }
      if (!isValidObjectKey(key)) continue; // a stray file nobody could get() by this key
      try {
        yield infoOf(key, await stat(full));
      } catch (err) {
        if (!MISSING.has(codeOf(err) ?? '')) throw err; // deleted while we walked
      }
    }
  }

  const adapter: AdapterInfo = {
    port: 'object-store',
    kind: 'embedded',
    service: 'local folder',
    target: root,
  };

  const store: ObjectStore = {
    adapter,

    async put(key, body, options?: PutOptions) {
      validateObjectKey(key);
      const temp = await writeTemp(body);
      try {
        const sidecar: Sidecar = {
          contentType: options?.contentType ?? DEFAULT_CONTENT_TYPE,
          ...(options?.cacheControl === undefined ? {} : { cacheControl: options.cacheControl }),
        };
        const metaTemp = tempPath();
        await writeFile(metaTemp, JSON.stringify(sidecar), { flag: 'wx' });
        await moveIntoPlace(key, metaTemp, metaPath(key)).catch(async (err: unknown) => {
          await unlink(metaTemp).catch(() => undefined);
          throw err;
        });
        const target = dataPath(key);
        await moveIntoPlace(key, temp, target).catch(async (err: unknown) => {
          // A conflict means no object of this name can exist, so its fresh sidecar must not linger.
          if (err instanceof ObjectKeyConflictError) await unlink(metaPath(key)).catch(() => undefined);
          throw err;
        });
        return infoOf(key, await stat(target), sidecar);
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
    },

    async get(key, range?: ByteRange): Promise<GetResult | null> {
      validateObjectKey(key);
      if (range !== undefined) checkRange(range);
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(dataPath(key), 'r');
      } catch (err) {
        if (MISSING.has(codeOf(err) ?? '') || codeOf(err) === 'EISDIR') return null;
        throw err;
      }
      try {
        // Stat the open handle, not the path: a concurrent overwrite swaps the path, not this file.
        const stats = await handle.stat();
        if (!stats.isFile()) {
          await handle.close();
          return null;
        }
        const info = infoOf(key, stats, await readSidecar(key));
        if (range === undefined) return { ...info, body: handle.createReadStream() };
        if (range.start >= stats.size) throw new RangeNotSatisfiableError(key, stats.size, range);
        const end = Math.min(range.end ?? stats.size - 1, stats.size - 1);
        return {
          ...info,
          range: { start: range.start, end },
          body: handle.createReadStream({ start: range.start, end }),
        };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async getBuffer(key) {
      validateObjectKey(key);
      try {
        return await readFile(dataPath(key));
      } catch (err) {
        if (MISSING.has(codeOf(err) ?? '') || codeOf(err) === 'EISDIR') return null;
        throw err;
      }
    },

    async head(key) {
      validateObjectKey(key);
      try {
        const stats = await stat(dataPath(key));
        return stats.isFile() ? infoOf(key, stats, await readSidecar(key)) : null;
      } catch (err) {
        if (MISSING.has(codeOf(err) ?? '')) return null;
        throw err;
      }
    },

    async *list(prefix) {
      validatePrefix(prefix);
      const slash = prefix.lastIndexOf('/');
      const folder = prefix.slice(0, slash + 1);
      yield* walk(path.join(dataDir, ...folder.split('/').filter(Boolean)), folder, prefix.slice(slash + 1));
    },

    async delete(key) {
      validateObjectKey(key);
      await removeObject(key);
    },

    async deletePrefix(prefix) {
      validateDeletePrefix(prefix);
      let deleted = 0;
      for await (const { key } of store.list(prefix)) if (await removeObject(key)) deleted++;
      return deleted;
    },

    async ping() {
      const stats = await stat(dataDir);
      if (!stats.isDirectory()) throw new Error(`${dataDir} is not a folder`);
    },

    async close() {
      // Nothing held open between calls.
    },
  };
  return store;
}

async function removeStaleTemps(tmpDir: string): Promise<void> {
  const cutoff = Date.now() - STALE_TEMP_MS;
  for (const name of await readdir(tmpDir)) {
    const file = path.join(tmpDir, name);
    const stats = await stat(file).catch(() => undefined);
    if (stats !== undefined && stats.mtimeMs < cutoff) await rm(file, { force: true, recursive: true });
  }
}
