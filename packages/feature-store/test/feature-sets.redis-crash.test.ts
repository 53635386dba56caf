/**
 * Redis dies (SIGKILL) in the middle of a publish. This runs a private redis-server of its own, on a
 * free port with its own data folder, so the shared Redis at REDIS_URL is never touched. The server
 * keeps an fsync'd append-only file, so what it acknowledged before dying is there after a restart,
 * as it would be in production: the previous live version must be, whole and still live.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { reasonOf } from '@streamloop/core/errors';
import { createCapturingLogger, freePort } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  featureSetKeys,
  featureSetStatus,
  openLiveFeatureSet,
  publishFeatureSet,
} from '../src/feature-sets.js';
import type { FeatureStore } from '../src/feature-store.js';
import { createRedisFeatureStore } from '../src/redis-feature-store.js';
import { entityIds, versionedRows } from './feature-rows.js';

const REDIS_SERVER_HINT =
  'redis-server is required by this test; install it with `apt-get install redis-server` (npm run infra:up does)';

interface PrivateRedis {
  url: string;
  process: ChildProcess;
  exited: Promise<void>;
}

/** Starts redis-server with an always-fsync'd append-only file in `dir`; resolves once it accepts connections. */
async function startRedisServer(port: number, dir: string): Promise<PrivateRedis> {
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => reject(new Error(`${REDIS_SERVER_HINT} (${reasonOf(err)})`)));
    void exited.then(() =>
      reject(new Error(`redis-server exited before it was ready: ${output.slice(-2000)}`)),
    );
  });
  return { url: `redis://127.0.0.1:${port}`, process: child, exited };
}

describe('feature sets — Redis killed during a publish (private redis-server)', () => {
  const servers: PrivateRedis[] = [];
  const stores: FeatureStore[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const server of servers.splice(0)) {
      if (server.process.exitCode === null && server.process.signalCode === null) {
        server.process.kill('SIGKILL');
        await server.exited;
      }
    }
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const openStore = async (server: PrivateRedis): Promise<FeatureStore> => {
    const store = await createRedisFeatureStore({
      url: server.url,
      keyPrefix: 'crash:',
      logger: createCapturingLogger('warn').logger,
    });
    stores.push(store);
    return store;
  };

  it('rejects the publish naming the cause, keeps the last live version whole, and publishes again after', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-redis-crash-'));
    dirs.push(dir);
    const port = await freePort();
    const first = await startRedisServer(port, dir);
    servers.push(first);
    const entities = entityIds('title', 3_000);
    const options = { newestSourceAt: null, chunkSize: 500 };

    const dying = await openStore(first);
    const v1 = await publishFeatureSet(dying, 'title', versionedRows('title', 1, entities), options);

    // Redis dies once three chunks of v2 are acknowledged, before the fourth is sent.
    async function* rowsUntilRedisDies() {
      for (const [index, row] of versionedRows('title', 2, entities).entries()) {
        if (index === 1_500) {
          first.process.kill('SIGKILL');
          await first.exited;
        }
        yield row;
      }
    }
    const failure = await publishFeatureSet(dying, 'title', rowsUntilRedisDies(), options).then(
      () => expect.unreachable('the publish went through though Redis died under it'),
      (err: unknown) => err as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure.cause).toBeInstanceOf(Error);
    expect(failure.message).toContain(
      `publishing feature set 'title' v2 to Redis (127.0.0.1:${port}) failed while writing rows, so the live version is unchanged: ${reasonOf(failure.cause)}`,
    );
    // Redis was down for the cleanup too: the error says so, and why the partial version does not stay.
    expect(failure.message).toMatch(
      /; its partial fs:title:v2 could not be removed either \(.+\), it expires within 60 min$/,
    );

    servers.push(await startRedisServer(port, dir));
    const store = await openStore(servers.at(-1)!);
    const live = await openLiveFeatureSet(store, 'title');
    expect(live?.version).toEqual(v1);
    const rows = (await live?.getMany(entities)) ?? [];
    expect(rows).toEqual(versionedRows('title', 1, entities));
    const partial = featureSetKeys('title').version(2);
    expect(await store.hlen(partial)).toBe(1_500);
    expect(await store.ttlMs(partial)).toBeGreaterThan(0);

    const v3 = await publishFeatureSet(store, 'title', versionedRows('title', 3, entities), options);
    expect(v3.version).toBe(3);
    const afterRestart = await openLiveFeatureSet(store, 'title');
    expect(await afterRestart?.getMany(entities.slice(0, 3))).toEqual(
      versionedRows('title', 3, entities.slice(0, 3)),
    );
    expect(await featureSetStatus(store, 'title')).toMatchObject({ live: v3, previous: v1 });
  });
});
