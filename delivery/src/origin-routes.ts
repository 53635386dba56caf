/**
 * The origin: `/media/<videoId>/...` from the object store (`media/<videoId>/...`, as the transcoder
 * writes it), only with a valid token for that video. Playlists are rewritten so their children
 * carry the same token; everything else streams straight from the store with Range and ETag support.
 *
 * `/internal/token-check` answers the edge's `auth_request` for the URI in `X-Original-URI` with
 * 204/400/403/404 and no body, so a cached object is never served to a request the origin would refuse.
 *
 * Both read the CMCD data of every request they let through (cmcd-harvest.ts): behind the edge only
 * the token check sees a cache hit, and a miss reaches both with the same beacon id.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@streamloop/core/errors';
import { DASH_MANIFEST, MASTER_PLAYLIST, MEDIA_URL_PREFIX } from '@streamloop/core/object-layout';
import {
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  RangeNotSatisfiableError,
} from '@streamloop/object-store/object-store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CmcdHarvest, CmcdMedia } from './cmcd-harvest.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import { parseRange } from './http-range.js';
import { filterDashManifest, filterHlsMaster, type LadderScope } from './ladder-scope.js';
import { rewriteManifest } from './manifest-rewrite.js';
import { checkMediaAccess, type MediaAccess, type MediaAccessDeps } from './media-access.js';
import type { MediaRequest } from './media-path.js';
import { cacheControlOf } from './media-types.js';

export interface OriginRoutesDeps extends MediaAccessDeps {
  objectStore: ObjectStore;
  metrics: DeliveryMetrics;
  cmcd: CmcdHarvest;
}

/** Header the token check names its refusal in, for the edge to pass on (the body stays empty). */
export const TOKEN_CHECK_ERROR_HEADER = 'x-streamloop-error';

/** Request headers players send to the origin: byte ranges and CMCD header mode. */
const MEDIA_REQUEST_HEADERS = 'range, cmcd-request, cmcd-object, cmcd-status, cmcd-session';

/** A VOD playlist of a 3-hour film at 2 s segments is ~400 KiB; anything far above is not ours. */
const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;

/** What the CMCD harvest needs of a request let through: the object, whether the viewer is simulated, its arm. */
function cmcdMediaOf(access: Extract<MediaAccess, { kind: 'ok' }>): CmcdMedia {
  const { videoId, path } = access.media;
  const { synthetic, variant } = access.claims;
  return {
    videoId,
    path,
    ...(synthetic === true ? { synthetic: true as const } : {}),
    ...(variant === undefined ? {} : { variant }),
  };
}

export function registerOriginRoutes(app: FastifyInstance, deps: OriginRoutesDeps): void {
  const serve = (headOnly: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const access = await checkMediaAccess(request.url, deps);
    if (access.kind === 'denied') throw access.error;
    deps.cmcd.observe({ uri: request.url, headers: request.headers }, cmcdMediaOf(access));
    // Media is fetched by players on any page; the token, not the origin, is the credential.
    reply.header('access-control-allow-origin', '*');
    if (access.media.type.kind === 'playlist') {
      return sendPlaylist(request, reply, access.media, access.token, headOnly, access.claims.ladder);
    }
    return sendObject(request, reply, access.media, headOnly);
  };
  // An explicit HEAD route: fastify's automatic one would read the whole object to throw it away.
  app.get(`${MEDIA_URL_PREFIX}:id/*`, { exposeHeadRoute: false }, serve(false));
  app.head(`${MEDIA_URL_PREFIX}:id/*`, serve(true));
  // CMCD header mode (CTA-5004) sends CMCD-* request headers, which a browser only sends to another
  // origin after this preflight. It reveals nothing: no token is checked, no object is looked up.
  app.options(`${MEDIA_URL_PREFIX}:id/*`, async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET, HEAD')
      .header('access-control-allow-headers', MEDIA_REQUEST_HEADERS)
      .header('access-control-max-age', '86400')
      .send(),
  );

  app.get('/internal/token-check', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const uri = request.headers['x-original-uri'];
    if (typeof uri !== 'string' || uri === '') {
      return reply.code(400).header(TOKEN_CHECK_ERROR_HEADER, 'ERR_BAD_REQUEST').send();
    }
    const access = await checkMediaAccess(uri, deps);
    if (access.kind === 'denied') {
      return reply.code(access.error.status).header(TOKEN_CHECK_ERROR_HEADER, access.error.code).send();
    }
    // nginx's auth_request passes the viewer's own headers along, CMCD-* included.
    deps.cmcd.observe({ uri, headers: request.headers }, cmcdMediaOf(access));
    return reply.code(204).send();
  });

  async function sendPlaylist(
    request: FastifyRequest,
    reply: FastifyReply,
    media: MediaRequest,
    token: string,
    headOnly: boolean,
    scope: LadderScope | undefined,
  ) {
    const object = await deps.objectStore.get(media.objectKey);
    if (object === null) throw new AppError('ERR_NOT_FOUND', `no ${media.path} for video ${media.videoId}`);
    let text = (await readAtMost(object.body, MAX_PLAYLIST_BYTES, media.objectKey)).toString('utf8');
    // A derived ladder's player sees only its renditions in the manifests it starts from.
    if (scope?.renditions !== undefined) {
      if (media.path === `${scope.folder}/${MASTER_PLAYLIST}`) text = filterHlsMaster(text, scope.renditions);
      else if (media.path === `${scope.folder}/${DASH_MANIFEST}`)
        text = filterDashManifest(text, scope.renditions);
    }
    const body = Buffer.from(rewriteManifest(media.path, text, media.videoId, token), 'utf8');
    // The body differs per token, so its ETag is the hash of what is sent, not of the stored object.
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    reply
      .header('content-type', media.type.contentType)
      .header('cache-control', cacheControlOf(media.type))
      .header('etag', etag);
    if (matchesIfNoneMatch(request, etag)) return reply.code(304).send();
    reply.header('content-length', body.length);
    if (headOnly) return reply.send();
    deps.metrics.bytesSent.inc(body.length);
    return reply.send(body);
  }

  async function sendObject(
    request: FastifyRequest,
    reply: FastifyReply,
    media: MediaRequest,
    headOnly: boolean,
  ) {
    const notFound = () => new AppError('ERR_NOT_FOUND', `no ${media.path} for video ${media.videoId}`);
    if (headOnly) {
      const info = await deps.objectStore.head(media.objectKey);
      if (info === null) throw notFound();
      setObjectHeaders(reply, media, info);
      if (matchesIfNoneMatch(request, quoted(info.etag))) return reply.code(304).send();
      return reply.header('content-length', info.size).send();
    }

    let range = parseRange(request.headers.range);
    let byteRange: ByteRange | undefined;
    if (range.kind !== 'none' && (range.kind === 'suffix' || request.headers['if-range'] !== undefined)) {
      // A suffix needs the size, If-Range the current ETag, before the ranged read.
      const info = await deps.objectStore.head(media.objectKey);
      if (info === null) throw notFound();
      const ifRange = request.headers['if-range'];
      if (ifRange !== undefined && (info.etag === undefined || ifRange !== quoted(info.etag)))
        range = { kind: 'none' };
      if (range.kind === 'suffix') {
        if (range.length === 0) return rangeNotSatisfiable(reply, info.size);
        byteRange = { start: Math.max(0, info.size - range.length) };
      }
    }
    if (range.kind === 'from')
      byteRange = range.end === undefined ? { start: range.start } : { start: range.start, end: range.end };

    let object: Awaited<ReturnType<ObjectStore['get']>>;
    try {
      object = await deps.objectStore.get(media.objectKey, byteRange);
    } catch (err) {
      if (err instanceof RangeNotSatisfiableError) return rangeNotSatisfiable(reply, err.size);
      throw err;
    }
    if (object === null) throw notFound();
    setObjectHeaders(reply, media, object);
    if (matchesIfNoneMatch(request, quoted(object.etag))) {
      object.body.destroy();
      return reply.code(304).send();
    }
    if (object.range === undefined) {
      reply.header('content-length', object.size);
    } else {
      const { start, end } = object.range;
      reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${object.size}`)
        .header('content-length', end - start + 1);
    }
    return reply.send(counted(object.body, deps.metrics));
  }
}

function setObjectHeaders(reply: FastifyReply, media: MediaRequest, info: ObjectInfo): void {
  reply
    .header('content-type', media.type.contentType)
    .header('cache-control', cacheControlOf(media.type))
    .header('accept-ranges', 'bytes');
  if (info.etag !== undefined) reply.header('etag', quoted(info.etag));
  if (info.lastModified !== undefined) reply.header('last-modified', info.lastModified.toUTCString());
}

function rangeNotSatisfiable(reply: FastifyReply, size: number) {
  return reply.code(416).header('content-range', `bytes */${size}`).send();
}

function quoted(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : `"${etag}"`;
}

function matchesIfNoneMatch(request: FastifyRequest, etag: string | undefined): boolean {
  const header = request.headers['if-none-match'];
  if (etag === undefined || typeof header !== 'string') return false;
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** The object's bytes, streamed; the counter sees what actually went out, the store's handle closes either way. */
function counted(body: Readable, metrics: DeliveryMetrics): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      metrics.bytesSent.inc(chunk.length);
      done(null, chunk);
    },
  });
  // A client that hangs up destroys `counter`; pipeline then destroys `body`, releasing the file or socket.
  pipeline(body, counter).catch(() => undefined);
  return counter;
}

async function readAtMost(body: Readable, limit: number, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      throw new Error(`${key} is larger than ${limit} bytes; not a playlist this origin rewrites`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
