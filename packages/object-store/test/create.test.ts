import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '@streamloop/core/config';
import { DependencyUnavailableError } from '@streamloop/core/errors';
import { createCapturingLogger, requireService, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../src/create.js';

const s3Of = (overrides: Partial<NonNullable<ReturnType<typeof loadConfig>['s3']>> = {}) => ({
  endpoint: 'http://127.0.0.1:1',
  bucket: 'streamloop-unreachable',
  region: 'us-east-1',
  accessKeyId: 'streamloop',
  secretAccessKey: 'streamloop-secret-key',
  ...overrides,
});

describe('createObjectStore', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'streamloop-create-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uses a local folder under <dataDir>/objects when S3 is not configured', async () => {
    const { logger } = createCapturingLogger();
    const store = await createObjectStore({ s3: undefined, dataDir }, { logger });
    expect(store.adapter).toMatchObject({
      kind: 'embedded',
      service: 'local folder',
      target: path.join(dataDir, 'objects'),
    });
    await store.put('hello.txt', 'hi');
    expect((await store.getBuffer('hello.txt'))?.toString()).toBe('hi');
    await store.close();
  });

  it('rejects an unreachable S3_ENDPOINT with one actionable line and logs nothing', async () => {
    const { logger, lines } = createCapturingLogger();
    const error = await createObjectStore({ s3: s3Of(), dataDir }, { logger }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toMatch(
      /^cannot reach S3 at S3_ENDPOINT=http:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED/,
    );
    expect((error as Error).message).not.toContain('\n');
    expect(lines).toEqual([]);
  }, 15_000);

  describe('with S3Proxy', () => {
    const s3 = loadConfig(process.env).s3;
    const bucket = uniqueName('streamloop-create').toLowerCase().replace(/_/g, '-');
    let admin: S3Client;
    beforeAll(() => {
      const config = requireService('S3Proxy', 'S3_ENDPOINT', s3);
      admin = new S3Client({
        endpoint: config.endpoint,
        region: config.region,
        credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
        forcePathStyle: true,
      });
    });
    afterAll(async () => {
      await admin?.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      admin?.destroy();
    });

    it('rejects wrong credentials naming the variables to check, never the secret', async () => {
      const { logger } = createCapturingLogger();
      const config = {
        ...requireService('S3Proxy', 'S3_ENDPOINT', s3),
        bucket,
        secretAccessKey: 'not-the-secret',
      };
      const error = await createObjectStore({ s3: config, dataDir }, { logger }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect((error as Error).message).toMatch(/access denied.*S3_SECRET_ACCESS_KEY/);
      expect((error as Error).message).not.toContain('not-the-secret');
    });

    it('creates a missing bucket at start', async () => {
      const { logger } = createCapturingLogger();
      const store = await createObjectStore(
        { s3: { ...requireService('S3Proxy', 'S3_ENDPOINT', s3), bucket }, dataDir },
        { logger },
      );
      expect(store.adapter).toMatchObject({
        kind: 'real',
        service: 'S3',
        target: `${s3!.endpoint}/${bucket}`,
      });
      await expect(admin.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
    });
  });
});
