/**
 * The one pipeline every finished source goes through, whether it arrived by tus or by a direct
 * multipart upload: hash it (SHA-256 of the whole object), compare with the hash the client
 * declared, then record it in the catalog with its transcode job — or hand back the video that
 * already has the same content (same owner). A mismatch removes the object and records nothing, so
 * nothing reaches transcode.
 */
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import type { IngestMetrics } from './ingest-metrics.js';
import { hashStream, normaliseSha256 } from './source-hash.js';
import type { UploadRecorder } from './upload-recorder.js';

/** The stored bytes are not what the client said it sent (or not as many). tus answers 460. */
export class SourceIntegrityError extends Error {
  readonly videoId: string;
  constructor(videoId: string, message: string) {
    super(message);
    this.name = 'SourceIntegrityError';
    this.videoId = videoId;
  }
}

export interface FinishObjectInput {
  videoId: string;
  /** Where the complete source is, readable through the ObjectStore. */
  objectKey: string;
  sizeBytes: number;
  /** Hex, or base64 of the 32 bytes; compared with the stored bytes when given. */
  declaredSha256?: string | undefined;
  owner: string;
  title?: string | undefined;
  filename?: string | undefined;
}

export interface FinishedSource {
  /** The video to use: the one just recorded, or the earlier one with the same content. */
  videoId: string;
  /** Set when the content was already known: the id the caller passed in, now unused. */
  deduplicatedFrom?: string;
  sha256: string;
}

export interface SourcePipeline {
  /**
   * Hash, verify, record (or deduplicate). `knownSha256`: the hash computed while the bytes arrived
   * (else the object is streamed back). `discard` removes the object when it is refused or a
   * duplicate (default: delete `objectKey`). Throws SourceIntegrityError on a mismatch.
   */
  finishObject(
    input: FinishObjectInput,
    options?: { knownSha256?: string | undefined; discard?: () => Promise<void> },
  ): Promise<FinishedSource>;
}

export interface SourcePipelineDeps {
  objectStore: ObjectStore;
  recorder: UploadRecorder;
  metrics: IngestMetrics;
  logger: Logger;
}

/** The owner of uploads made with the single API key (before scoped keys). */
export const DEFAULT_OWNER = 'default';

export function createSourcePipeline(deps: SourcePipelineDeps): SourcePipeline {
  const { objectStore, recorder, metrics, logger } = deps;

  const hashStored = async (key: string, videoId: string): Promise<{ sha256: string; sizeBytes: number }> => {
    const object = await objectStore.get(key);
    if (object === null)
      throw new SourceIntegrityError(videoId, `the source ${key} is not in the object store`);
    return hashStream(object.body);
  };

  const verify = async (
    input: FinishObjectInput,
    knownSha256: string | undefined,
    discard: () => Promise<void>,
  ): Promise<string> => {
    if (knownSha256 === undefined) metrics.sourcesRehashed.inc();
    const stored =
      knownSha256 === undefined ? await hashStored(input.objectKey, input.videoId) : { sha256: knownSha256 };
    const problem = integrityProblem(input, stored);
    if (problem === undefined) return stored.sha256;
    metrics.integrityFailures.inc();
    logger.warn(
      { videoId: input.videoId, objectKey: input.objectKey, problem },
      'source refused: integrity check failed',
    );
    await discard();
    throw new SourceIntegrityError(input.videoId, problem);
  };

  return {
    async finishObject(input, options = {}) {
      const discard = options.discard ?? (() => objectStore.delete(input.objectKey));
      const sha256 = await verify(input, options.knownSha256, discard);
      const outcome = await recorder.record({
        videoId: input.videoId,
        sourceKey: input.objectKey,
        title: input.title,
        filename: input.filename,
        sha256,
        owner: input.owner,
      });
      if (outcome.kind === 'duplicate') {
        metrics.uploadsDeduplicated.inc();
        logger.info(
          { videoId: outcome.existingVideoId, duplicateOf: input.videoId, sha256 },
          'same content as an existing video of this owner; no second transcode',
        );
        await discard().catch((err: unknown) =>
          logger.warn(
            { objectKey: input.objectKey, reason: reasonOf(err) },
            'could not remove a duplicate source',
          ),
        );
        return { videoId: outcome.existingVideoId, deduplicatedFrom: input.videoId, sha256 };
      }
      if (outcome.kind === 'recorded') {
        metrics.uploadsCompleted.inc();
        logger.info(
          { videoId: input.videoId, sourceKey: input.objectKey, bytes: input.sizeBytes },
          'upload recorded; transcode job queued',
        );
      }
      return { videoId: input.videoId, sha256 };
    },
  };
}

function integrityProblem(
  input: FinishObjectInput,
  stored: { sha256: string; sizeBytes?: number },
): string | undefined {
  if (stored.sizeBytes !== undefined && stored.sizeBytes !== input.sizeBytes)
    return `stored ${stored.sizeBytes} bytes but the upload declared ${input.sizeBytes}`;
  if (input.declaredSha256 === undefined) return undefined;
  const declared = normaliseSha256(input.declaredSha256);
  if (declared === undefined) return 'the declared sha256 is neither 64 hex digits nor 32 bytes in base64';
  if (declared !== stored.sha256)
    return `checksum mismatch: the stored bytes have SHA-256 ${stored.sha256}, the client declared ${declared}`;
  return undefined;
}
