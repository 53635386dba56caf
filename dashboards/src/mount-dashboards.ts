/**
 * `/dashboards/`: the QoE pages for product teams — the overview (`/dashboards/`), the breakdown by
 * dimension (`/dashboards/breakdown`) and the latest sessions (`/dashboards/sessions`) — and the
 * ladder experiments for encoding engineers (`/dashboards/experiments`, one experiment at
 * `/dashboards/experiment?id=`), one title's per-title ladder plan (`/dashboards/ladder?videoId=`),
 * the feature sets with the health of recommendations (`/dashboards/recommendations`), the QoE
 * alert rules with their events (`/dashboards/alerts`), who is watching now (`/dashboards/live`),
 * the catalog with each video's QoE (`/dashboards/videos`), what each rung and ladder delivered and
 * cost (`/dashboards/renditions`), and one view's timeline
 * (`/dashboards/view?sessionId=`).
 * Each is one HTML page with its CSS (dashboards.css, after the stylesheet its bundle imports, if
 * any: `dist/ui/<page>.css`) and its bundled JavaScript (`dist/ui/<page>.js`, built by
 * `scripts/bundle-ui.mjs` from `src/ui/<page>-page.ts`) inline, under a strict Content-Security-Policy
 * whose nonce changes on every response. The pages talk only to the same origin (`/api/v1/videos`,
 * `/api/v1/qoe/*`, `/api/v1/experiments…`, `/api/v1/videos/:id/ladder-plan`, `/api/v1/videos/:id/ladders`, `/api/v1/features/*`, `/api/v1/recommendations/health`, `/api/v1/alerts/*`) with the API key the person typed, kept in sessionStorage (gone when the tab closes).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** No options yet; callers pass `{}` so that adding some later breaks nobody. */
export type DashboardsDeps = Record<string, never>;

// Resolved from the package root so that src/ (tests) and dist/ (built) both find them, and turbo's
// `src/**` inputs see a change to a page.
const UI_DIR = new URL('../src/ui/', import.meta.url);
const BUNDLE_DIR = new URL('../dist/ui/', import.meta.url);

export interface DashboardPage {
  name:
    | 'overview'
    | 'breakdown'
    | 'sessions'
    | 'experiments'
    | 'experiment'
    | 'ladder'
    | 'recommendations'
    | 'alerts'
    | 'live'
    | 'videos'
    | 'view'
    | 'renditions';
  path: string;
  title: string;
  /**
   * The page's own fields in the shared filters form (before the viewer scope), if any: the video
   * and the time range, or the time range alone.
   */
  filters?: 'qoe-filters' | 'time-range';
}

export const DASHBOARD_PAGES: readonly DashboardPage[] = [
  { name: 'overview', path: '/dashboards/', title: 'QoE overview', filters: 'qoe-filters' },
  { name: 'breakdown', path: '/dashboards/breakdown', title: 'QoE breakdown', filters: 'qoe-filters' },
  { name: 'sessions', path: '/dashboards/sessions', title: 'Views', filters: 'qoe-filters' },
  { name: 'experiments', path: '/dashboards/experiments', title: 'Experiments' },
  { name: 'experiment', path: '/dashboards/experiment', title: 'Experiment' },
  // One title, addressed like the QoE pages (`?videoId=`), so the nav links carry the video both ways.
  { name: 'ladder', path: '/dashboards/ladder', title: 'Per-title ladder' },
  {
    name: 'recommendations',
    path: '/dashboards/recommendations',
    title: 'Features & recommendations',
    filters: 'time-range',
  },
  // Rules are the fleet's, over windows of their own: no video picker, no time range.
  { name: 'alerts', path: '/dashboards/alerts', title: 'QoE alerts' },
  // Always the last 30 minutes: a video picker of its own, no time range.
  { name: 'live', path: '/dashboards/live', title: 'Live' },
  // The catalog beside each video's QoE over the range; a picked video narrows it.
  { name: 'videos', path: '/dashboards/videos', title: 'Videos', filters: 'qoe-filters' },
  // What each rung and ladder delivered and cost, next to its viewers' QoE.
  { name: 'renditions', path: '/dashboards/renditions', title: 'Renditions', filters: 'qoe-filters' },
  // One view's timeline, opened from the sessions list (`?sessionId=`).
  { name: 'view', path: '/dashboards/view', title: 'One view' },
];

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
function loadPage(page: DashboardPage): string[] {
  const read = (dir: URL, name: string) => readFileSync(new URL(name, dir), 'utf8');
  const bundle = new URL(`${page.name}.js`, BUNDLE_DIR);
  if (!existsSync(bundle)) {
    throw new Error(
      `dashboards: ${fileURLToPath(bundle)} is missing; build the pages first (npm run build -w @streamloop/dashboards)`,
    );
  }
  // A library's stylesheet the page's script imports (uPlot's): first, so the shared rules win a tie.
  const bundledCss = new URL(`${page.name}.css`, BUNDLE_DIR);
  const css = `${existsSync(bundledCss) ? `${readFileSync(bundledCss, 'utf8')}\n` : ''}${read(UI_DIR, 'dashboards.css')}`;
  const js = read(BUNDLE_DIR, `${page.name}.js`);
  // Inlined text that closed its own element would end it early; refuse to serve such a build.
  if (/<\/script/i.test(js) || /<\/style/i.test(css))
    throw new Error(`dashboards: the ${page.name} page's script or style must not contain a closing tag`);
  const html = read(UI_DIR, 'layout.html')
    .replace('{{filters}}', () => (page.filters ? read(UI_DIR, `${page.filters}.html`) : ''))
    // The one time range markup, in the QoE filters and on its own.
    .replace('{{time-range}}', () => read(UI_DIR, 'time-range.html'))
    .replace('{{main}}', () => read(UI_DIR, `${page.name}.html`))
    // The one breakdown table markup, on its page and under the overview's cards.
    .replace('{{breakdown-table}}', () => read(UI_DIR, 'breakdown-table.html'))
    .replaceAll('{{title}}', () => page.title)
    .replace('{{page}}', () => page.name)
    .replace('/*{{css}}*/', () => css)
    .replace('/*{{js}}*/', () => js);
  return html.split('{{nonce}}');
}

export function mountDashboards(app: FastifyInstance, _deps: DashboardsDeps = {}): void {
  app.get('/dashboards', async (request, reply) => {
    const query = request.url.indexOf('?');
    return reply.redirect(`/dashboards/${query >= 0 ? request.url.slice(query) : ''}`, 308);
  });

  for (const page of DASHBOARD_PAGES) {
    const parts = loadPage(page);
    app.get(page.path, async (_request, reply) => {
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
}
