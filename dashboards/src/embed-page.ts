/**
 * `/embed/:id`: the video alone, for an `<iframe>` on someone else's site. No site chrome: the player
 * fills the frame (the video keeps its aspect inside it) and plays through the same SDK, playback API
 * and collector as the watch page. Query options are parsed by embed-options.ts.
 *
 * Framing follows the owner's playback restrictions: `frame-ancestors` lists the allowed sites, so
 * a browser refuses to show the page inside any other. A signed video is never embeddable by id (its
 * token must come from the owner's backend), and a missing one gets a page that says so.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '@streamloop/catalog/catalog';
import { getPlaybackRestrictions } from '@streamloop/catalog/playback-restrictions-repository';
import { getVideo } from '@streamloop/catalog/video-repository';
import { isVideoId } from '@streamloop/core/ids';
import { frameAncestorsFor } from '@streamloop/core/playback-restrictions';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type EmbedOptions, parseEmbedOptions } from './embed-options.js';
import { sdkMajorVersion, sdkUrls } from './sdk-routes.js';
import {
  createPlayerScript,
  escapeHtml,
  inlineJson,
  sdkScripts,
  type WatchPageDeps,
  watchPagePolicy,
} from './watch-page.js';

export interface EmbedPageDeps extends WatchPageDeps {
  /** Where the video's playback policy and its owner's restrictions are read. */
  catalog: Queryable;
}

export type EmbeddableVideo =
  | { ok: true; title: string; owner: string | null }
  | { ok: false; status: 403 | 404; reason: string };

/** Whether `id` can play by id alone in someone else's page (the embed page and oEmbed both ask). */
export async function findEmbeddableVideo(catalog: Queryable, id: string): Promise<EmbeddableVideo> {
  const video = isVideoId(id) ? await getVideo(catalog, id) : undefined;
  if (video === undefined) return { ok: false, status: 404, reason: 'There is no such video.' };
  if (video.playbackPolicy !== 'public') {
    return {
      ok: false,
      status: 403,
      reason: 'This video is private: it plays only with a signed URL from its owner’s site.',
    };
  }
  if (video.status !== 'ready') return { ok: false, status: 404, reason: 'This video is not ready yet.' };
  return { ok: true, title: video.title, owner: video.owner };
}

const BASE_STYLE = `html, body { margin: 0; height: 100%; background: #000; color: #e8e8e8; overflow: hidden;
    font: 16px/1.4 system-ui, sans-serif; }`;

function sendPage(reply: FastifyReply, status: number, policy: string, html: string): FastifyReply {
  return (
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', policy)
      // A nonce must never be reused, so neither may the page.
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      // Its own requests (the playback API) say they come from the embed page; other sites learn nothing.
      .header('referrer-policy', 'same-origin')
      .send(html)
  );
}

function renderError(nonce: string, status: number, reason: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>streamloop</title><link rel="icon" href="data:,">
<style nonce="${nonce}">${BASE_STYLE}
  p { display: flex; align-items: center; justify-content: center; height: 100%; margin: 0; padding: 0 16px;
    text-align: center; }</style>
</head><body><p id="embed-error" data-status="${status}">${escapeHtml(reason)}</p></body></html>
`;
}

// fill: the frame's size, whatever the site made it; the video keeps its aspect inside.
const EMBED_PLAYER_OPTIONS = `{
      fill: true,
      controls: config.controls,
      loop: config.loop,
      muted: config.autoplay,
      autoplay: config.autoplay ? 'muted' : false
    }`;

function renderPlayer(
  nonce: string,
  videoId: string,
  title: string,
  options: EmbedOptions,
  deps: WatchPageDeps,
): string {
  const sdk = sdkUrls(sdkMajorVersion());
  const config = inlineJson({
    videoId,
    apiBase: (deps.apiBase ?? '').replace(/\/+$/, ''),
    collectorUrl: deps.collectorUrl,
    ...options,
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title || videoId)} · streamloop</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${sdk.stylesheet}">
<style nonce="${nonce}">${BASE_STYLE}</style>
</head>
<body>
<video id="player" class="video-js vjs-big-play-centered" playsinline></video>
${sdkScripts(nonce)}
<script nonce="${nonce}">
(function () {
${createPlayerScript(config, EMBED_PLAYER_OPTIONS)}
  if (config.start > 0) {
    var player = window.streamloop.player;
    player.one('loadedmetadata', function () { player.currentTime(config.start); });
  }
})();
</script>
</body>
</html>
`;
}

export function registerEmbedPage(app: FastifyInstance, deps: EmbedPageDeps): void {
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/embed/:id',
    async (request, reply) => {
      const nonce = randomBytes(16).toString('base64');
      // Error pages may sit in any frame: they show a reason and nothing of the video.
      const errorPolicy = `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors *`;
      const parsed = parseEmbedOptions(request.query);
      if (!parsed.ok) return sendPage(reply, 400, errorPolicy, renderError(nonce, 400, parsed.reason));
      const video = await findEmbeddableVideo(deps.catalog, request.params.id);
      if (!video.ok)
        return sendPage(reply, video.status, errorPolicy, renderError(nonce, video.status, video.reason));
      const restrictions =
        video.owner === null ? undefined : await getPlaybackRestrictions(deps.catalog, video.owner);
      return sendPage(
        reply,
        200,
        watchPagePolicy(nonce, deps, frameAncestorsFor(restrictions)),
        renderPlayer(nonce, request.params.id, video.title, parsed.options, deps),
      );
    },
  );
}
