/**
 * Ingest with tus on S3Proxy (@tus/s3-store), its uploads under a unique key prefix so sweeps and
 * listings never see another test's objects. The catalog is PGlite and the log in-process: these
 * tests are about the upload path, and exact job counts need a private log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { type Config, loadConfig, type S3Config } from '@streamloop/core/config';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createS3ObjectStore } from '@streamloop/object-store/s3-object-store';
import { type IngestApp, silentLogger, startIngest } from './helpers.js';

const config: Config = loadConfig(process.env);
export const S3_LABEL = `S3Proxy at ${config.s3?.endpoint ?? 'S3_ENDPOINT not set'}`;

export interface S3Ingest {
  ingest: IngestApp;
  dir: string;
  s3: S3Config;
  keyPrefix: string;
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  /** Stops the server and starts a new one (new store instance, nothing in memory) on the same port. */
  restart(): Promise<IngestApp>;
  teardown(): Promise<void>;
}

export async function startS3Ingest(options: { uploadExpirationMs?: number } = {}): Promise<S3Ingest> {
  const s3 = requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
  const dir = await mkdtemp(path.join(tmpdir(), 'streamloop-ingest-s3-'));
  const catalog = await createPgliteCatalog({ dataDir: path.join(dir, 'catalog') });
  await catalog.migrate();
  const eventLog = createMemoryEventLog({ logger: silentLogger });
  await eventLog.ensureTopics(ALL_TOPICS);
  let objectStore!: ObjectStore;
  await assertReachable('S3Proxy', s3.endpoint, async () => {
    objectStore = await createS3ObjectStore({ ...s3, logger: silentLogger, startupTimeoutMs: 10_000 });
  });
  const keyPrefix = `${uniqueName('tus')}/`;
  const start = (port?: number) =>
    startIngest({
      catalog,
      eventLog,
      objectStore,
      s3,
      dataDir: path.join(dir, 'data'),
      uploadKeyPrefix: keyPrefix,
      ...(options.uploadExpirationMs === undefined ? {} : { uploadExpirationMs: options.uploadExpirationMs }),
      ...(port === undefined ? {} : { port }),
    });
  const fixture: S3Ingest = {
    ingest: await start(),
    dir,
    s3,
    keyPrefix,
    catalog,
    eventLog,
    objectStore,
    async restart() {
      const port = Number(new URL(fixture.ingest.baseUrl).port);
      await fixture.ingest.close();
      fixture.ingest = await start(port);
      return fixture.ingest;
    },
    async teardown() {
      await fixture.ingest.close();
      await objectStore.deletePrefix(keyPrefix);
      await Promise.allSettled([eventLog.close(), catalog.close(), objectStore.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Writes `bytes` random bytes to `file` a MiB at a time; returns their SHA-256 (hex). */
export async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < bytes; ) {
    const chunk = randomBytes(Math.min(1024 * 1024, bytes - written));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    written += chunk.length;
  }
  out.end();
  await finished(out);
  return hash.digest('hex');
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
