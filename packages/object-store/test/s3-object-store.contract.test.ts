import { DeleteBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type S3Config } from '@streamloop/core/config';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll } from 'vitest';
import type { ObjectStore } from '../src/object-store.js';
import { createS3ObjectStore } from '../src/s3-object-store.js';
import { describeObjectStoreContract } from './contract.js';

const s3 = loadConfig(process.env).s3;
// A bucket of its own per test file, so parallel runs never see each other's objects.
const bucket = uniqueName('streamloop-test').toLowerCase().replace(/_/g, '-');
const opened: ObjectStore[] = [];
let admin: S3Client | undefined;

const clientFor = (config: S3Config): S3Client =>
  new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: true,
    maxAttempts: 1,
  });

beforeAll(async () => {
  const config = requireService('S3Proxy', 'S3_ENDPOINT', s3);
  admin = clientFor(config);
  await assertReachable('S3Proxy', config.endpoint, () => admin!.send(new ListBucketsCommand({})));
});

afterAll(async () => {
  if (admin === undefined) return;
  // Whatever a failed test left behind goes first: S3 only deletes empty buckets.
  const sweeper = await createS3ObjectStore({ ...s3!, bucket });
  for await (const { key } of sweeper.list('')) await sweeper.delete(key);
  await sweeper.close();
  await Promise.all(opened.map((store) => store.close()));
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  admin.destroy();
});

describeObjectStoreContract(
  `ObjectStore contract — S3 (S3Proxy at ${s3?.endpoint ?? 'S3_ENDPOINT not set'})`,
  async (options) => {
    const store = await createS3ObjectStore({
      ...requireService('S3Proxy', 'S3_ENDPOINT', s3),
      bucket,
      ...options,
    });
    opened.push(store);
    return store;
  },
);
