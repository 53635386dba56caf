/**
 * What each dashboards page asks the QoE API for on its first load with its defaults, read from
 * dashboards/src/ui/*-page.ts, page-shell.ts and api-client.ts (as of the views page's worst-first order): the range is the last
 * 24 h up to the next whole minute, the scope real viewers, no filter, "All videos" where the page
 * offers it. The client lives in the pages' bundle and is not exported, so the requests are spelt
 * here the way it builds them; keep them in step when a page changes. Calls that only read the
 * catalog (PostgreSQL) are listed in NOT_MEASURED instead.
 */
import type {
  QoeBreakdownResponse,
  QoeLiveResponse,
  QoeOverviewResponse,
  QoeRenditionsResponse,
  QoeSessionsResponse,
  QoeTimeseriesResponse,
  QoeTopVideosResponse,
  SessionBeaconsResponse,
} from '@streamloop/core/schemas/qoe-api';

export interface PageCall {
  /** How the report names it: 'overview (previous range)'. */
  name: string;
  path: string;
  query: Record<string, string | number>;
  /** Why the 200 answer holds nothing to show, or undefined when it holds data. */
  emptiness(body: unknown): string | undefined;
}

export interface DashboardPage {
  page: string;
  /** The page module the calls were read from. */
  source: string;
  /** Set when this is not the page's first load with its defaults. */
  note?: string;
  calls: PageCall[];
}

/** The clock and the values a person would have picked, all present in the generated data. */
export interface PagePicks {
  nowMs: number;
  /** The overview needs one video (the picker's first, from the catalog); one with plays in both ranges. */
  videoId: string;
  /** The sessions list's newest view, the row a person opens the timeline of. */
  sessionId: string;
  /** A breakdown row value, clicked to narrow every number to it. */
  browser: string;
}

const HOUR_MS = 3600 * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** page-shell.ts startRangePicker: the 24 h preset, its end rounded up to the next minute. */
export function defaultRange(nowMs: number): { from: string; to: string } {
  const toMs = Math.ceil(nowMs / 60_000) * 60_000;
  return { from: iso(toMs - 24 * HOUR_MS), to: iso(toMs) };
}

/** overview-page.ts: the period of the same length just before the range. */
function previousRange(range: { from: string; to: string }): { from: string; to: string } {
  const spanMs = Date.parse(range.to) - Date.parse(range.from);
  return { from: iso(Date.parse(range.from) - spanMs), to: range.from };
}

const none = (what: string, count: number): string | undefined =>
  count > 0 ? undefined : `no ${what} in the answer`;

const overview = (name: string, query: PageCall['query']): PageCall => ({
  name,
  path: '/api/v1/qoe/overview',
  query,
  emptiness: (body) => none('plays', (body as QoeOverviewResponse).plays),
});

const timeseries = (name: string, query: PageCall['query']): PageCall => ({
  name,
  path: '/api/v1/qoe/timeseries',
  query: { ...query, interval: 'auto' },
  emptiness: (body) =>
    none('bucket with plays', (body as QoeTimeseriesResponse).points.filter((p) => p.plays > 0).length),
});

const breakdown = (name: string, query: PageCall['query']): PageCall => ({
  name,
  path: '/api/v1/qoe/breakdown',
  query,
  emptiness: (body) => none('rows', (body as QoeBreakdownResponse).rows.length),
});

export function dashboardPages(picks: PagePicks): DashboardPage[] {
  const range = defaultRange(picks.nowMs);
  const all = { ...range, synthetic: 'real' };
  const oneVideo = { ...all, videoId: picks.videoId };
  const before = { ...previousRange(range), synthetic: 'real', videoId: picks.videoId };
  return [
    {
      page: 'overview, all videos',
      source: 'dashboards/src/ui/overview-page.ts',
      calls: [
        overview('overview', all),
        overview('overview (previous range)', { ...previousRange(range), synthetic: 'real' }),
        timeseries('timeseries', all),
        timeseries('timeseries (previous range)', { ...previousRange(range), synthetic: 'real' }),
        breakdown('breakdown by browser (under the cards)', { ...all, dimension: 'browser' }),
      ],
    },
    {
      page: 'overview, one video',
      source: 'dashboards/src/ui/overview-page.ts',
      note: 'opened from a link with ?videoId= (the page defaults to all videos)',
      calls: [
        overview('overview', oneVideo),
        overview('overview (previous range)', before),
        timeseries('timeseries', oneVideo),
        timeseries('timeseries (previous range)', before),
        breakdown('breakdown by browser (under the cards)', { ...oneVideo, dimension: 'browser' }),
      ],
    },
    {
      page: 'breakdown',
      source: 'dashboards/src/ui/breakdown-page.ts',
      calls: [breakdown('breakdown by browser', { ...all, dimension: 'browser' })],
    },
    {
      page: 'breakdown, a row clicked',
      source: 'dashboards/src/ui/breakdown-page.ts',
      note: `not a first load: the browser row ${picks.browser} clicked, which narrows the page to it`,
      calls: [
        breakdown(`breakdown by browser, browser=${picks.browser}`, {
          ...all,
          dimension: 'browser',
          browser: picks.browser,
        }),
      ],
    },
    {
      page: 'live',
      source: 'dashboards/src/ui/live-page.ts',
      calls: [
        {
          name: 'live',
          path: '/api/v1/qoe/live',
          query: { synthetic: 'real' },
          emptiness: (body) =>
            none(
              'minute with viewers',
              (body as QoeLiveResponse).minutes.filter((m) => m.concurrentViewers > 0).length,
            ),
        },
      ],
    },
    {
      page: 'sessions',
      source: 'dashboards/src/ui/sessions-page.ts',
      calls: [
        {
          name: 'sessions, worst first',
          path: '/api/v1/qoe/sessions',
          query: { ...all, sort: 'worst' },
          emptiness: (body) => none('views', (body as QoeSessionsResponse).views.length),
        },
      ],
    },
    {
      page: 'view',
      source: 'dashboards/src/ui/view-page.ts',
      calls: [
        {
          name: 'session beacons',
          path: `/api/v1/qoe/sessions/${encodeURIComponent(picks.sessionId)}/beacons`,
          query: { synthetic: 'real' },
          emptiness: (body) => none('beacons', (body as SessionBeaconsResponse).beacons.length),
        },
      ],
    },
    {
      page: 'renditions',
      source: 'dashboards/src/ui/renditions-page.ts',
      calls: [
        {
          name: 'renditions',
          path: '/api/v1/qoe/renditions',
          query: all,
          emptiness: (body) => none('rungs', (body as QoeRenditionsResponse).renditions.length),
        },
        breakdown('breakdown by ladder', { ...all, dimension: 'ladderId' }),
      ],
    },
    {
      page: 'videos',
      source: 'dashboards/src/ui/videos-page.ts',
      calls: [
        {
          name: 'top videos',
          path: '/api/v1/qoe/top-videos',
          query: { ...all, limit: 1000, sortBy: 'plays' },
          emptiness: (body) => none('videos', (body as QoeTopVideosResponse).videos.length),
        },
      ],
    },
  ];
}

/** What the pages ask that this bench does not time, and why. */
export const NOT_MEASURED: { page: string; call: string; reason: string }[] = [
  {
    page: 'overview, breakdown, sessions, renditions, videos, live',
    call: 'GET /api/v1/videos',
    reason:
      "ingest's catalog (PostgreSQL), not the QoE store: the video picker's list, asked before the QoE calls (the live page asks it alongside)",
  },
  {
    page: 'videos',
    call: 'GET /api/v1/videos?limit=100',
    reason: "ingest's catalog (PostgreSQL), not the QoE store; asked together with top-videos",
  },
  {
    page: 'alerts',
    call: 'GET /api/v1/alerts/rules',
    reason: 'the alert rules live in the catalog (PostgreSQL, analytics/src/alerts/alert-routes.ts)',
  },
  {
    page: 'alerts',
    call: 'GET /api/v1/alerts/events?limit=50',
    reason: 'the alert events live in the catalog (PostgreSQL, analytics/src/alerts/alert-routes.ts)',
  },
  {
    page: 'overview, breakdown, sessions, renditions, videos',
    call: 'GET /api/v1/qoe/overview?synthetic=synthetic',
    reason:
      'page-shell.ts asks it only when real viewers left the page empty (the offer to show simulated ones); never on a page with data',
  },
  {
    page: 'experiments, experiment, ladder, recommendations',
    call: 'their calls',
    reason:
      'outside the eight pages of issue 15 this bench covers; of their calls, the experiment results (bench:experiment-results) and the recommendation health read the QoE store',
  },
];
