/**
 * Direct-to-S3 uploads: the client asks for a multipart upload, PUTs each part to its presigned URL
 * (the bytes never pass through us), then completes it here; the object then joins the pipeline as
 * a tus upload would. Needs the 'upload' scope. On the embedded local-folder store there is no S3 to
 * presign for: the routes answer ERR_S3_REQUIRED (501) and point at S3_ENDPOINT and at tus.
 *
 *   POST   /api/v1/uploads/multipart                    → 201 { videoId, uploadId, parts[{partNumber,url}], complete, abort }
 *   POST   /api/v1/uploads/multipart/:uploadId/complete → 200 { videoId, status }  (idempotent)
 *   DELETE /api/v1/uploads/multipart/:uploadId          → 204                     (idempotent)
 *
 * Browsers: the bucket's CORS must allow PUT from the page's origin and expose `ETag`.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import {
  finishMultipartUpload,
  getMultipartUpload,
  insertMultipartUpload,
  type MultipartUploadRecord,
} from '@streamloop/catalog/multipart-repository';
import { getVideo, insertVideo } from '@streamloop/catalog/video-repository';
import { AppError, reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { sourceKey } from '@streamloop/core/object-layout';
import type { ApiKeyAuth, Principal } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import type { S3Multipart } from './s3-multipart.js';
import { SourceIntegrityError, type SourcePipeline } from './source-pipeline.js';
import { ownerScope, principalOf, requireVisibleVideo } from './video-access.js';

const MIB = 1024 * 1024;
// S3's limits: parts of 5 MiB–5 GiB (the last may be smaller), at most 10,000 of them.
const MIN_PART_BYTES = 5 * MIB;
const MAX_PART_BYTES = 5 * 1024 * MIB;
const MAX_PARTS = 10_000;
const DEFAULT_PART_BYTES = 8 * MIB;
const URL_TTL_SECONDS = 6 * 3600;

const StartBody = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 1024 }),
    sizeBytes: Type.Integer({ minimum: 1 }),
    contentType: Type.Optional(Type.String({ pattern: '^video/[A-Za-z0-9.+-]+$', maxLength: 100 })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' })),
    /** A video created earlier with POST /api/v1/videos, still waiting for its upload. */
    videoId: Type.Optional(Type.String({ maxLength: 64 })),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    partSizeBytes: Type.Optional(Type.Integer({ minimum: MIN_PART_BYTES, maximum: MAX_PART_BYTES })),
  },
  { additionalProperties: false },
);

const CompleteBody = Type.Object(
  {
    parts: Type.Array(
      Type.Object(
        {
          partNumber: Type.Integer({ minimum: 1, maximum: MAX_PARTS }),
          etag: Type.String({ minLength: 1, maxLength: 200 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_PARTS },
    ),
  },
  { additionalProperties: false },
);

const UploadParams = Type.Object({ uploadId: Type.String({ minLength: 1, maxLength: 1024 }) });

export interface MultipartRoutesDeps {
  catalog: Catalog;
  auth: ApiKeyAuth;
  /** Undefined on the local-folder store. */
  s3: S3Multipart | undefined;
  /** The tus uploads' pipeline (SHA-256, dedup, catalog, job), which the completed object joins. */
  finisher: Pick<SourcePipeline, 'finishObject'>;
  maxUploadBytes: number;
  logger: Logger;
}

export function registerMultipartRoutes(app: FastifyInstance, deps: MultipartRoutesDeps): void {
  const { catalog, finisher, logger } = deps;
  const upload = deps.auth.guard('upload');

  const s3OrRefuse = (): S3Multipart => {
    if (deps.s3 !== undefined) return deps.s3;
    throw new AppError(
      'ERR_S3_REQUIRED',
      'direct multipart uploads need S3: set S3_ENDPOINT (with S3_BUCKET and credentials); on the local-folder store upload with tus at /uploads/',
    );
  };

  const findUpload = async (principal: Principal, uploadId: string): Promise<MultipartUploadRecord> => {
    const found = await getMultipartUpload(catalog, uploadId);
    const owner = ownerScope(principal);
    if (found === undefined || (owner !== undefined && found.owner !== owner)) {
      throw new AppError('ERR_NOT_FOUND', `no multipart upload ${uploadId}`);
    }
    return found;
  };

  app.post<{ Body: Static<typeof StartBody> }>(
    '/api/v1/uploads/multipart',
    { preHandler: upload, schema: { body: StartBody } },
    async (request, reply) => {
      const s3 = s3OrRefuse();
      const principal = principalOf(request);
      const body = request.body;
      if (body.sizeBytes > deps.maxUploadBytes) {
        throw new AppError(
          'ERR_UPLOAD_TOO_LARGE',
          `${body.sizeBytes} bytes is over the ${deps.maxUploadBytes}-byte limit`,
        );
      }
      const partSizeBytes =
        body.partSizeBytes ?? Math.max(DEFAULT_PART_BYTES, Math.ceil(body.sizeBytes / MAX_PARTS));
      const partCount = Math.ceil(body.sizeBytes / partSizeBytes);
      if (partCount > MAX_PARTS) {
        throw new AppError(
          'ERR_VALIDATION',
          `${partCount} parts of ${partSizeBytes} bytes is over S3's ${MAX_PARTS}`,
        );
      }
      const videoId = await videoForUpload(principal, body);
      const objectKey = sourceKey(videoId);
      const uploadId = await s3.create(objectKey, body.contentType ?? 'application/octet-stream');
      await insertMultipartUpload(catalog, {
        uploadId,
        videoId,
        objectKey,
        owner: principal.owner,
        sizeBytes: body.sizeBytes,
        partSizeBytes,
        declaredSha256: body.sha256 ?? null,
      });
      const parts = await Promise.all(
        Array.from({ length: partCount }, async (_, i) => ({
          partNumber: i + 1,
          url: await s3.presignPart(objectKey, uploadId, i + 1, URL_TTL_SECONDS),
        })),
      );
      const self = `/api/v1/uploads/multipart/${encodeURIComponent(uploadId)}`;
      reply.code(201);
      return {
        videoId,
        uploadId,
        partSizeBytes,
        expiresAt: new Date(Date.now() + URL_TTL_SECONDS * 1000).toISOString(),
        parts,
        complete: { method: 'POST', url: `${self}/complete` },
        abort: { method: 'DELETE', url: self },
      };
    },
  );

  async function videoForUpload(principal: Principal, body: Static<typeof StartBody>): Promise<string> {
    if (body.videoId === undefined) {
      const video = await insertVideo(catalog, {
        title: body.title?.trim() ?? body.filename,
        filename: body.filename,
        status: 'waiting_upload',
        owner: principal.owner,
      });
      return video.id;
    }
    const video = await requireVisibleVideo(catalog, principal, body.videoId);
    if (video.status !== 'waiting_upload') {
      throw new AppError('ERR_CONFLICT', `video ${video.id} is ${video.status}, not waiting for an upload`);
    }
    return video.id;
  }

  app.post<{ Params: Static<typeof UploadParams>; Body: Static<typeof CompleteBody> }>(
    '/api/v1/uploads/multipart/:uploadId/complete',
    { preHandler: upload, schema: { params: UploadParams, body: CompleteBody } },
    async (request) => {
      const s3 = s3OrRefuse();
      const record = await findUpload(principalOf(request), request.params.uploadId);
      if (record.state === 'aborted')
        throw new AppError('ERR_CONFLICT', `multipart upload ${record.uploadId} was aborted`);
      // Same content as an earlier video of this owner: that video is the answer (no second transcode).
      const videoId =
        record.state === 'open' ? await completeOnS3(s3, record, request.body.parts) : record.videoId;
      const video = await getVideo(catalog, videoId);
      return { videoId, status: video?.status ?? 'deleted' };
    },
  );

  async function completeOnS3(
    s3: S3Multipart,
    record: MultipartUploadRecord,
    parts: Static<typeof CompleteBody>['parts'],
  ): Promise<string> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    let sizeBytes: number;
    try {
      sizeBytes = await s3.complete(record.objectKey, record.uploadId, sorted);
    } catch (err) {
      // A retry after S3 completed but recording failed: S3 no longer knows the upload, the object is there.
      const existing = await s3.sizeOf(record.objectKey);
      if (existing !== record.sizeBytes) {
        // InvalidPart / InvalidPartOrder / EntityTooSmall: the client's parts list is wrong.
        throw new AppError('ERR_VALIDATION', `S3 refused to complete the upload: ${reasonOf(err)}`);
      }
      sizeBytes = existing;
    }
    if (sizeBytes !== record.sizeBytes) {
      await finishMultipartUpload(catalog, record.uploadId, 'aborted');
      await s3.deleteObject(record.objectKey);
      throw new AppError(
        'ERR_VALIDATION',
        `the assembled object has ${sizeBytes} bytes, not the ${record.sizeBytes} declared; start a new upload`,
      );
    }
    let finished: Awaited<ReturnType<SourcePipeline['finishObject']>>;
    try {
      finished = await finisher.finishObject({
        videoId: record.videoId,
        objectKey: record.objectKey,
        sizeBytes,
        declaredSha256: record.declaredSha256 ?? undefined,
        owner: record.owner,
      });
    } catch (err) {
      if (!(err instanceof SourceIntegrityError)) throw err;
      // The pipeline already removed the object: nothing of it reaches transcode.
      await finishMultipartUpload(catalog, record.uploadId, 'aborted');
      throw new AppError('ERR_CHECKSUM_MISMATCH', `${err.message}; upload the file again`);
    }
    await finishMultipartUpload(catalog, record.uploadId, 'completed');
    logger.info(
      { videoId: finished.videoId, deduplicatedFrom: finished.deduplicatedFrom, sizeBytes },
      'direct multipart upload completed',
    );
    return finished.videoId;
  }

  app.delete<{ Params: Static<typeof UploadParams> }>(
    '/api/v1/uploads/multipart/:uploadId',
    { preHandler: upload, schema: { params: UploadParams } },
    async (request, reply) => {
      const s3 = s3OrRefuse();
      const record = await findUpload(principalOf(request), request.params.uploadId);
      if (record.state === 'completed') {
        throw new AppError(
          'ERR_CONFLICT',
          `multipart upload ${record.uploadId} is complete; DELETE the video instead`,
        );
      }
      if (record.state === 'open') {
        await s3.abort(record.objectKey, record.uploadId).catch((err: unknown) => {
          logger.warn(
            { uploadId: record.uploadId, reason: reasonOf(err) },
            'S3 abort failed; the bucket lifecycle rule cleans up',
          );
        });
        await finishMultipartUpload(catalog, record.uploadId, 'aborted');
      }
      return reply.code(204).send();
    },
  );
}
