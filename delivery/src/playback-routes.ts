/**
 * `GET /api/v1/videos/:id/playback`: the signed URL a player starts from. `public` videos hand one to
 * anyone, rate limited per client address; `signed` videos only to a caller with the API key (an
 * app's backend, which passes the URL on to its player). Callers with the key are never limited.
 *
 * `?synthetic=1` (or `true`) asks for a simulated viewer's playback (the simulator, issue 11): the
 * answer says `synthetic: true` and its token carries the mark, so the origin's CMCD beacons of that
 * playback are synthetic too and analytics keeps them out of real numbers. It grants nothing more.
 *
 * `?viewerId=<the SDK's viewer id>`: while a ladder experiment runs on the video, the viewer's arm
 * (a sticky hash, experiment-assignment.ts) decides the ladder; the answer's `variant` and the token
 * carry `<experimentId>.<arm>`, and the SDK copies it onto every beacon of the view. Each such answer
 * is an exposure, published off the request path (experiment-exposure-output.ts).
 *
 * `?ladder=<id>` (an API key of the video's owner only) serves another of the video's ladders: an
 * encoded one it carries, or a derived one (playback-ladder.ts). Every token opens only the ladder it
 * was issued for (ladder-scope.ts).
 *
 * The start-rung hint (issue 14, start-hint.ts): with `viewerId`, a playable video's answer carries
 * `startBitrateKbps`, the bitrate the viewer's network sustained in most recent views, which the SDK
 * seeds the player's first bandwidth estimate with. Left out when the viewer is unknown or has too
 * few measured views, when the viewer's experiment arm says `startHint: false`, when the service
 * turned it off (PLAYBACK_START_HINT=off), when the feature store does not answer in time (the answer
 * is otherwise the same 200, never later than the read's 50 ms budget), and for an owner's
 * `?ladder=` preview: a preview shows the ladder as a player starts it by default, whoever previews.
 *
 * Pages on other sites call this route (the player SDK embedded anywhere), so public videos answer
 * with CORS, and the owner's playback restrictions decide which sites get a token.
 */

import type { Queryable } from '@streamloop/catalog/catalog';
import { getPlaybackRestrictions } from '@streamloop/catalog/playback-restrictions-repository';
import { getVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { LADDER_ID_PATTERN } from '@streamloop/core/ids';
import { mediaUrlPath, videoRelativePath } from '@streamloop/core/object-layout';
import { isOriginAllowed, originOfReferer } from '@streamloop/core/playback-restrictions';
import { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { VideoId } from '@streamloop/core/schemas/video';
import { type ApiKeyOption, DEFAULT_OWNER, toApiKeyAuth } from '@streamloop/service-kit/api-key';
import { type PublicRateLimit, registerPublicRateLimit } from '@streamloop/service-kit/public-rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ExperimentAssigner } from './experiment-assignment.js';
import type { Exposure } from './experiment-exposure-output.js';
import { choosePlaybackLadder } from './playback-ladder.js';
import { createPlaybackToken } from './playback-token.js';
import type { StartHintReader } from './start-hint.js';

export interface PlaybackRoutesDeps {
  catalog: Queryable;
  signingSecret: string;
  /** The operator's key, or the process's key check (scoped keys from the catalog beside it). */
  apiKey: ApiKeyOption;
  tokenTtlS: number;
  publicRateLimit: PublicRateLimit;
  now: () => Date;
  /** Running ladder experiments' arms for viewers who send their `viewerId`. */
  assigner: ExperimentAssigner;
  /** Told of every answer that assigned an arm (experiment-exposure-output.ts); must return at once. */
  onExposure?: (exposure: Exposure) => void;
  /** Viewers' start-rung hints; absent: no answer carries one (no feature store, or turned off). */
  startHints?: StartHintReader;
}

const playbackSchema = {
  params: { type: 'object', properties: { id: VideoId }, required: ['id'] },
  response: { 200: PlaybackResponse },
} as const;

const PLAYBACK_PATH = '/api/v1/videos/:id/playback';

// A Map, not an object literal: `?synthetic=constructor` must not find Object.prototype's.
const SYNTHETIC_VALUES = new Map([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false],
]);

/**
 * `?synthetic=`: absent, `0` or `false` is a real viewer, `1` or `true` a simulated one. Anything else
 * (a typo, the parameter twice) is refused: a simulated audience silently counted as real viewers
 * would poison every real number.
 */
export function parseSyntheticParam(value: unknown): boolean {
  if (value === undefined) return false;
  const parsed = typeof value === 'string' ? SYNTHETIC_VALUES.get(value) : undefined;
  if (parsed === undefined) {
    throw new AppError(
      'ERR_VALIDATION',
      `query parameter "synthetic" must be 1 or true (a simulated viewer) or 0 or false, got ${JSON.stringify(value).slice(0, 64)}`,
    );
  }
  return parsed;
}

const LADDER_ID = new RegExp(LADDER_ID_PATTERN);

/** `?ladder=<id>`: a ladder id, or a 400 naming the parameter. */
export function parseLadderParam(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && LADDER_ID.test(value)) return value;
  throw new AppError(
    'ERR_VALIDATION',
    `query parameter "ladder" must be one ladder id (lowercase letters, digits, dashes), got ${JSON.stringify(value).slice(0, 64)}`,
  );
}

/** The SDK's viewer ids, as beacons carry them. */
const VIEWER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `?viewerId=`: the viewer a running experiment assigns by; a 400 naming the parameter when malformed. */
export function parseViewerIdParam(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && VIEWER_ID.test(value)) return value;
  throw new AppError(
    'ERR_VALIDATION',
    `query parameter "viewerId" must be one id of 1 to 128 letters, digits, '_', '.', ':' or '-', got ${JSON.stringify(value).slice(0, 64)}`,
  );
}

/** Chromium caps a cached preflight at 2 h; longer values buy nothing. */
const PREFLIGHT_MAX_AGE_S = 7200;

/**
 * Every answer depends on the Origin (the grant echoes it, restrictions judge it), so every answer —
 * errors, 429s and 400s included — says so, or a shared cache could hand one site's answer to another.
 * The grant is given before the handler knows the video, so a cross-origin page can read why it was
 * refused (429, 404, 403 ERR_PLAYBACK_RESTRICTED) instead of seeing a network error; the handler
 * takes it back for signed videos. Never `Allow-Credentials`: the route reads no cookies.
 */
function grantCors(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('vary', 'Origin');
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') reply.header('access-control-allow-origin', origin);
}

/** The page asking: its Origin, else its Referer's origin (as Mux does); undefined when neither says. */
function requestingOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== '') return origin;
  return originOfReferer(request.headers.referer);
}

/**
 * A page of streamloop itself: /watch, or /embed inside a frame its `frame-ancestors` (from the same
 * restrictions) already admitted. Browsers set Sec-Fetch-Site and page scripts cannot; the Host
 * comparison covers browsers without it. A non-browser can claim either, as it can any Origin.
 */
function isOwnPage(request: FastifyRequest, origin: string | undefined): boolean {
  if (request.headers['sec-fetch-site'] === 'same-origin') return true;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Registers in its own encapsulated scope, so the rate limit applies to this route only. */
export async function playbackRoutes(scope: FastifyInstance, deps: PlaybackRoutesDeps): Promise<void> {
  const auth = toApiKeyAuth(deps.apiKey, deps.catalog);
  // A scope hook runs before the rate limit's route-level one, so its 429 carries the same headers.
  scope.addHook('onRequest', async (request, reply) => grantCors(request, reply));
  await registerPublicRateLimit(scope, {
    ...deps.publicRateLimit,
    apiKey: deps.apiKey,
    what: 'playback requests',
  });

  // No Allow-Headers: the SDK's GET needs none, and `Authorization` must not be sendable from a
  // page — an API key in a browser is a key given to every visitor.
  scope.options(PLAYBACK_PATH, { config: { rateLimit: false } }, async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
      .send(),
  );

  scope.get<{
    Params: { id: string };
    Querystring: { synthetic?: unknown; ladder?: unknown; viewerId?: unknown };
  }>(PLAYBACK_PATH, { schema: playbackSchema }, async (request, reply): Promise<PlaybackResponse> => {
    const { id } = request.params;
    // Before the catalog: a malformed request costs no lookup.
    const synthetic = parseSyntheticParam(request.query.synthetic);
    const ladderChoice = parseLadderParam(request.query.ladder);
    const viewerId = parseViewerIdParam(request.query.viewerId);
    const video = await getVideo(deps.catalog, id);
    if (video === undefined) throw new AppError('ERR_NOT_FOUND', `no video with id ${id}`);
    const isOwnersKey = (owner: string) => owner === DEFAULT_OWNER || owner === video.owner;
    if (ladderChoice !== undefined) {
      // Which ladder a viewer gets is the owner's decision (a preview, an experiment), never a viewer's.
      const principal = request.headers.authorization ? await auth.identify(request) : undefined;
      if (principal === undefined || !isOwnersKey(principal.owner)) {
        throw new AppError(
          'ERR_FORBIDDEN',
          `choosing a ladder (?ladder=) needs an API key of video ${id}'s owner`,
        );
      }
    }
    if (video.playbackPolicy === 'signed') {
      // Only an app's backend plays a signed video: no page of any site may read the answer.
      reply.removeHeader('access-control-allow-origin');
      // Any valid key of the video's owner (the operator's owner sees every video); another
      // owner's key learns nothing more than a viewer's would.
      const principal = await auth.authenticate(request, reply);
      if (!isOwnersKey(principal.owner)) throw new AppError('ERR_NOT_FOUND', `no video with id ${id}`);
    } else {
      // The owner's own key is a server asking, which has no site to judge.
      const principal = request.headers.authorization ? await auth.identify(request) : undefined;
      if (principal === undefined || !isOwnersKey(principal.owner)) {
        // Videos recorded before keys had owners are the default owner's.
        const restrictions = await getPlaybackRestrictions(deps.catalog, video.owner ?? DEFAULT_OWNER);
        const origin = requestingOrigin(request);
        if (!isOriginAllowed(restrictions, origin) && !isOwnPage(request, origin)) {
          throw new AppError(
            'ERR_PLAYBACK_RESTRICTED',
            `${origin === undefined ? 'a request naming no site (no Origin or Referer)' : origin.slice(0, 200)} may not play video ${id}: its owner restricts playback to listed domains`,
          );
        }
      }
    }
    if (video.status !== 'ready') {
      throw new AppError(
        'ERR_VIDEO_NOT_READY',
        `video ${id} is ${video.status.replace('_', ' ')}, not ready to play`,
      );
    }
    if (video.ladder === null)
      throw new AppError('ERR_VIDEO_NOT_READY', `video ${id} has no published ladder`);
    const playable = { ...video, ladder: video.ladder };
    // The owner's explicit choice wins; else a running experiment's arm for this viewer; else the primary ladder.
    const assignment =
      ladderChoice === undefined && viewerId !== undefined
        ? await deps.assigner.assign(playable, viewerId)
        : undefined;
    const chosen = assignment?.ladder ?? (await choosePlaybackLadder(deps.catalog, playable, ladderChoice));
    const ladder = chosen.record;
    // Whole seconds: the token carries seconds, and the response must state the same instant.
    const expiresAt = new Date((Math.floor(deps.now().getTime() / 1000) + deps.tokenTtlS) * 1000);
    const token = createPlaybackToken(
      {
        videoId: id,
        expiresAt,
        ...(synthetic ? { synthetic: true as const } : {}),
        ...(assignment === undefined ? {} : { variant: assignment.variant }),
        ...(chosen.scope === undefined ? {} : { ladder: chosen.scope }),
      },
      deps.signingSecret,
    );
    if (assignment !== undefined && viewerId !== undefined) {
      deps.onExposure?.({ assignment, viewerId, videoId: id, exposedAt: deps.now(), synthetic });
    }
    // The body is a credential for this caller: no cache may keep or share it.
    reply.header('cache-control', 'no-store');
    // After the arm is known: an arm without the hint costs no read (the reader never rejects).
    const startBitrateKbps =
      ladderChoice === undefined && viewerId !== undefined && assignment?.startHint !== false
        ? await deps.startHints?.read(viewerId)
        : undefined;
    // Record paths are relative to the video's folder, which the token opens as a whole.
    const mediaUrl = (recordPath: string) =>
      `${mediaUrlPath(id, videoRelativePath(id, recordPath))}?token=${encodeURIComponent(token)}`;
    return {
      manifestUrl: mediaUrl(ladder.master),
      ...(ladder.dash === undefined ? {} : { dashUrl: mediaUrl(ladder.dash) }),
      expiresAt: expiresAt.toISOString(),
      variant: assignment?.variant ?? null,
      ladderId: chosen.ladderId,
      ladderVersion: chosen.ladderVersion,
      ...(synthetic ? { synthetic: true } : {}),
      ...(startBitrateKbps === undefined ? {} : { startBitrateKbps }),
    };
  });
}
