/**
 * `GET /oembed?url=…&format=json[&maxwidth=…&maxheight=…]`: what a CMS asks to turn a pasted watch or
 * embed URL of this server into an `<iframe>` (oEmbed 1.0, https://oembed.com/ §2.2–2.4). Only JSON
 * is offered (XML answers 501, as the spec asks); a URL of another site is a 400; a video that cannot
 * play by id in someone else's page (missing, not ready, signed) is a 404, as the spec asks for
 * "no response for the URL".
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { AppError } from '@streamloop/core/errors';
import type { FastifyInstance } from 'fastify';
import { findEmbeddableVideo } from './embed-page.js';
import { escapeHtml, requestOrigin } from './watch-page.js';

export interface OembedDeps {
  catalog: Queryable;
}

export interface OembedResponse {
  version: '1.0';
  type: 'video';
  provider_name: 'streamloop';
  provider_url: string;
  title: string;
  html: string;
  width: number;
  height: number;
}

const DEFAULT_WIDTH = 640;

/** The largest 16:9 box within the consumer's limits (the default size when it gives none). */
export function embedSize(maxWidth?: number, maxHeight?: number): { width: number; height: number } {
  let width = Math.min(DEFAULT_WIDTH, maxWidth ?? DEFAULT_WIDTH);
  if (maxHeight !== undefined) width = Math.min(width, Math.floor((maxHeight * 16) / 9));
  return { width, height: Math.floor((width * 9) / 16) };
}

function positiveInteger(name: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,4}$/.test(raw)) {
    throw new AppError('ERR_VALIDATION', `${name} must be a positive whole number of pixels`);
  }
  return Number(raw);
}

/** The video id of a watch or embed URL on `origin`, or a 400 naming what is wrong with it. */
export function videoIdOfUrl(url: unknown, origin: string): string {
  if (typeof url !== 'string' || url === '') throw new AppError('ERR_VALIDATION', 'url is required');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('ERR_VALIDATION', 'url must be an absolute URL');
  }
  const match = /^\/(?:watch|embed)\/([^/]+)$/.exec(parsed.pathname);
  if (parsed.origin !== origin || match?.[1] === undefined) {
    throw new AppError('ERR_VALIDATION', `url must be a watch or embed URL of ${origin}`);
  }
  return decodeURIComponent(match[1]);
}

export function registerOembedRoute(app: FastifyInstance, deps: OembedDeps): void {
  app.get<{ Querystring: Record<string, unknown> }>('/oembed', async (request, reply) => {
    const { url, format, maxwidth, maxheight } = request.query;
    if (format !== undefined && format !== 'json') {
      throw new AppError('ERR_NOT_IMPLEMENTED', `format ${String(format)} is not offered; use format=json`);
    }
    const origin = requestOrigin(request);
    const id = videoIdOfUrl(url, origin);
    const size = embedSize(positiveInteger('maxwidth', maxwidth), positiveInteger('maxheight', maxheight));
    const video = await findEmbeddableVideo(deps.catalog, id);
    if (!video.ok) throw new AppError('ERR_NOT_FOUND', `no embeddable video ${id}`);
    const title = video.title || id;
    const src = `${origin}/embed/${encodeURIComponent(id)}`;
    const body: OembedResponse = {
      version: '1.0',
      type: 'video',
      provider_name: 'streamloop',
      provider_url: `${origin}/`,
      title,
      html: `<iframe src="${escapeHtml(src)}" width="${size.width}" height="${size.height}" title="${escapeHtml(title)}" style="border:0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`,
      ...size,
    };
    // Consumers may ask from a browser on their own site.
    return reply
      .header('access-control-allow-origin', '*')
      .header('cache-control', 'public, max-age=300')
      .send(body);
  });
}
