/**
 * Mounts the tus server in fastify: a content-type parser that leaves PATCH bodies untouched, and
 * every method under `/uploads` handed to `server.handle(req.raw, res.raw)` once the API key checked
 * out (CORS preflights excepted: browsers send them without credentials).
 */
import type { Logger } from '@streamloop/core/logger';
import type { Server } from '@tus/server';
import { TUS_RESUMABLE } from '@tus/utils';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_OWNER } from './source-pipeline.js';
import { checkTusRequest, type UploadLimits } from './tus-request-check.js';
import {
  DEDUPLICATED_FROM_HEADER,
  finishedHeaders,
  type RequestOwners,
  UPLOADS_PATH,
  VIDEO_ID_HEADER,
} from './tus-server.js';
import type { UploadFinisher } from './upload-finisher.js';
import { isVideoId } from './upload-metadata.js';
import type { UploadStore } from './upload-store.js';

export interface UploadRoutesDeps {
  tus: Server;
  store: UploadStore;
  finisher: UploadFinisher;
  guard: (request: FastifyRequest) => Promise<void>;
  logger: Logger;
  limits: UploadLimits;
  owners: RequestOwners;
}

/** The authenticated owner (scoped API keys set `request.principal`); the single key's uploads are 'default'. */
const ownerOfRequest = (request: FastifyRequest): string =>
  (request as { principal?: { owner: string } }).principal?.owner ?? DEFAULT_OWNER;

export function registerUploadRoutes(scope: FastifyInstance, deps: UploadRoutesDeps): void {
  const { tus, store, finisher, guard, limits, owners } = deps;

  // tus streams the body itself; fastify must not read or judge it (a wrong PATCH type gets tus's 415).
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

  /**
   * A client whose final PATCH failed after the bytes landed (catalog down, say) resumes with HEAD
   * and sees the upload complete, so it never PATCHes again: record it here instead and answer the
   * HEAD ourselves, naming the video (the local staging copy is gone once recorded).
   */
  const finishOnHead = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const lastPath = request.url.split('?')[0]!.split('/').pop() ?? '';
    if (!isVideoId(lastPath)) return false;
    const upload = await store.datastore.getUpload(store.uploadIdOf(lastPath)).catch(() => undefined);
    if (upload === undefined || upload.size === undefined || upload.offset !== upload.size) return false;
    const finished = await finisher.finish(upload);
    await reply
      .code(200)
      .headers({
        'Tus-Resumable': TUS_RESUMABLE,
        'Cache-Control': 'no-store',
        'Upload-Offset': String(upload.offset),
        'Upload-Length': String(upload.size),
        ...finishedHeaders(finished),
        // As @tus/server answers by default (any origin), so a browser can read the id.
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': `Upload-Offset, Upload-Length, Tus-Resumable, ${VIDEO_ID_HEADER}, ${DEDUPLICATED_FROM_HEADER}`,
      })
      .send();
    return true;
  };

  /**
   * An upload URL is not a capability on its own: HEAD, PATCH and DELETE need the key of the owner
   * that created the upload (the 'default' owner — the operator's key — may touch every upload).
   */
  const mayTouchUpload = async (request: FastifyRequest, owner: string): Promise<boolean> => {
    if (owner === DEFAULT_OWNER || !['HEAD', 'PATCH', 'DELETE'].includes(request.method)) return true;
    const lastPath = request.url.split('?')[0]!.split('/').pop() ?? '';
    if (!isVideoId(lastPath)) return true; // not an upload URL: tus answers it
    const upload = await store.datastore.getUpload(store.uploadIdOf(lastPath)).catch(() => undefined);
    return upload === undefined || upload.metadata?.owner === owner;
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method !== 'OPTIONS') await guard(request);
    const refusal = checkTusRequest(request.method, request.headers, limits);
    if (refusal !== undefined) {
      await reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
      return;
    }
    const owner = ownerOfRequest(request);
    owners.set(request.raw, owner);
    if (!(await mayTouchUpload(request, owner))) {
      // 404, not 403: another owner's upload URL reveals nothing, not even that it exists.
      await reply
        .code(404)
        .headers({ 'Tus-Resumable': TUS_RESUMABLE, 'Cache-Control': 'no-store' })
        .send('upload not found\n');
      return;
    }
    if (request.method === 'HEAD' && (await finishOnHead(request, reply))) return;
    reply.hijack();
    await tus.handle(request.raw, reply.raw);
  };
  scope.all(UPLOADS_PATH, handle);
  scope.all(`${UPLOADS_PATH}/*`, handle);
}
