/**
 * `/dashboards/`: the QoE overview for product teams — one HTML page with its CSS and JavaScript
 * inline, under a strict Content-Security-Policy whose nonce changes on every response. The page
 * talks only to the same origin (`/api/v1/videos`, `/api/v1/qoe/overview`) with the API key the
 * person typed, kept in sessionStorage (gone when the tab closes).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** No options yet; callers pass `{}` so that adding some later breaks nobody. */
export type DashboardsDeps = Record<string, never>;

// Resolved from the package root so that src/ (tests) and dist/ (built) both find it, and turbo's
// `src/**` inputs see a change to the page.
const UI_DIR = new URL('../src/ui/', import.meta.url);

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The page with its CSS and JS inlined, split where each response's nonce goes. */
function loadPage(): string[] {
  const read = (name: string) => readFileSync(new URL(name, UI_DIR), 'utf8');
  const css = read('overview.css');
  const js = read('overview.js');
  // Inlined text that closed its own element would end it early; refuse to serve such a build.
  if (/<\/script/i.test(js) || /<\/style/i.test(css))
    throw new Error('src/ui/overview.{js,css} must not contain a closing tag');
  const html = read('overview.html')
    .replace('/*{{css}}*/', () => css)
    .replace('/*{{js}}*/', () => js);
  return html.split('{{nonce}}');
}

export function mountDashboards(app: FastifyInstance, _deps: DashboardsDeps = {}): void {
  const parts = loadPage();

  app.get('/dashboards', async (request, reply) => {
    const query = request.url.indexOf('?');
    return reply.redirect(`/dashboards/${query >= 0 ? request.url.slice(query) : ''}`, 308);
  });

  app.get('/dashboards/', async (_request, reply) => {
    const nonce = randomBytes(16).toString('base64');
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', contentSecurityPolicy(nonce))
      // The nonce must never be reused, so neither may the page.
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    return parts.join(nonce);
  });
}
