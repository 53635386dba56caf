import { type Config, embeddedPath } from '@streamloop/core/config';
import { DependencyUnavailableError, reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { createLocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import { createS3ObjectStore, s3Address } from './s3-object-store.js';

export interface ObjectStoreDeps {
  logger: Logger;
}

/**
 * S3 unset: a local folder at `<dataDir>/objects`. Set: the S3 bucket, reached (and created if
 * missing) within ~10 s, or a DependencyUnavailableError the stack prints as one line.
 */
export async function createObjectStore(
  config: Pick<Config, 's3' | 'dataDir'>,
  deps: ObjectStoreDeps,
): Promise<ObjectStore> {
  if (config.s3 === undefined) return createLocalObjectStore({ root: embeddedPath(config, 'objects') });
  try {
    return await createS3ObjectStore({ ...config.s3, logger: deps.logger, startupTimeoutMs: 10_000 });
  } catch (err) {
    throw new DependencyUnavailableError('S3', 'S3_ENDPOINT', s3Address(config.s3.endpoint), reasonOf(err));
  }
}
