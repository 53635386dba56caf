/**
 * The typed client of the APIs the dashboards read (same origin, `Authorization: Bearer <key>`).
 * Response types are core's contract (`import type` only: nothing server-side reaches the bundle).
 * Pure apart from the `fetch` it is given, so Node tests can drive it against the real routes.
 */

import type { Experiment, ExperimentResults } from '@streamloop/core/experiments';
import type { FeatureSetName, FeatureSetVersion, FeatureStatusResponse } from '@streamloop/core/features';
import type { VideoLadderList } from '@streamloop/core/ladders';
import type {
  AlertDelivery,
  AlertEvent,
  AlertEventsResponse,
  AlertMetric,
  AlertRule,
  AlertRulesResponse,
  CreateAlertRuleBody,
} from '@streamloop/core/schemas/alerts';
import type { LadderPlanResponse, ProposeLadderResponse } from '@streamloop/core/schemas/ladder-plan';
import type {
  QoeBreakdownResponse,
  QoeFilters,
  QoeLiveResponse,
  QoeOverviewResponse,
  QoeRenditionsResponse,
  QoeSessionsResponse,
  QoeTimeseriesResponse,
  QoeTopVideo,
  QoeTopVideosResponse,
  QoeViewSummary,
  SessionBeaconsResponse,
  SyntheticScope,
} from '@streamloop/core/schemas/qoe-api';
import type { RecommendationHealthResponse } from '@streamloop/core/schemas/recommendations';
import type { Video } from '@streamloop/core/schemas/video';

export type SessionRow = QoeViewSummary;
export type OverviewAnswer = QoeOverviewResponse;
export type BreakdownAnswer = QoeBreakdownResponse;
export type SessionsAnswer = QoeSessionsResponse;
export type TimeseriesAnswer = QoeTimeseriesResponse;
export type RenditionsAnswer = QoeRenditionsResponse;
export type TopVideo = QoeTopVideo;
/** One page of ingest's catalog list. */
export interface VideoPage {
  videos: Video[];
  nextCursor: string | null;
}
export type LiveAnswer = QoeLiveResponse;
export type {
  AlertDelivery,
  AlertEvent,
  AlertMetric,
  AlertRule,
  CreateAlertRuleBody,
  Experiment,
  ExperimentResults,
  FeatureSetName,
  FeatureSetVersion,
  LadderPlanResponse,
  ProposeLadderResponse,
  Video,
  VideoLadderList,
};
export type FeatureStatus = FeatureStatusResponse;
export type FeatureSetStatus = FeatureStatusResponse['sets'][number];
export type RecommendationHealth = RecommendationHealthResponse;

/** What a breakdown can group by: the QoE filters (the cohort and network class of simulated viewers among them). */
export type BreakdownDimension = keyof QoeFilters;

/** The filters a page can hold besides the video (which has its own picker): a breakdown row clicked. */
export type FilterName = Exclude<BreakdownDimension, 'videoId'>;
export const FILTER_NAMES: readonly FilterName[] = [
  'browser',
  'os',
  'deviceClass',
  'country',
  'variant',
  'ladderId',
  'cohort',
  'networkClass',
];

/**
 * The range, the scope, the video (when one is picked) and the filters every QoE call of a page
 * carries; the QoE API takes each filter as a query parameter of its own ('' matches unknown).
 */
export type QoeParams = {
  from: string;
  to: string;
  synthetic: SyntheticScope;
  videoId?: string;
} & Partial<Record<FilterName, string>>;

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export interface ApiClientDeps {
  /** The key the person typed; read on every call, so "Forget" takes effect at once. */
  apiKey: () => string;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Prefix of every path; '' on the page (same origin), the server's URL in Node. */
  baseUrl?: string;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(deps: ApiClientDeps) {
  const send = deps.fetch ?? ((url, init) => fetch(url, init));
  const base = deps.baseUrl ?? '';

  async function request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Record<string, string | number | undefined> = {},
    body?: unknown,
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    const search = params.toString() === '' ? '' : `?${params}`;
    let response: Response;
    try {
      response = await send(`${base}${path}${search}`, {
        method,
        headers: {
          authorization: `Bearer ${deps.apiKey()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        cache: 'no-store',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(0, `cannot reach the server (${err instanceof Error ? err.message : String(err)})`);
    }
    // 204 (a DELETE) has no body to parse.
    if (response.status === 204) return undefined as T;
    if (response.ok) return (await response.json()) as T;
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: { message?: unknown } };
      if (typeof body?.error?.message === 'string') message = body.error.message;
    } catch {
      // Not JSON (a proxy's error page): the status line says enough.
    }
    throw new ApiError(response.status, message);
  }
  const get = <T>(path: string, query: Record<string, string | number | undefined> = {}) =>
    request<T>('GET', path, query);
  const videoPath = (videoId: string) => `/api/v1/videos/${encodeURIComponent(videoId)}`;

  return {
    /** The catalog's first page of videos; it answers `{ videos, nextCursor }` (a bare array is taken too). */
    async videos(): Promise<Video[]> {
      const body = await get<{ videos?: Video[] } | Video[]>('/api/v1/videos');
      return Array.isArray(body) ? body : Array.isArray(body?.videos) ? body.videos : [];
    },
    /** One page of the catalog, newest first (ingest: `limit` 1–100, `cursor` from the previous page). */
    videoPage: (query: { limit?: number; cursor?: string; q?: string } = {}) =>
      get<VideoPage>('/api/v1/videos', query),
    /** The QoE numbers of each video played in the range, most played first. */
    topVideos: (params: QoeParams & { limit?: number }) =>
      get<QoeTopVideosResponse>('/api/v1/qoe/top-videos', { ...params, sortBy: 'plays' }),
    /** Play time and viewers per rung over the range. */
    renditions: (params: QoeParams) => get<QoeRenditionsResponse>('/api/v1/qoe/renditions', { ...params }),
    overview: (params: QoeParams) => get<OverviewAnswer>('/api/v1/qoe/overview', { ...params }),
    /** The metrics per time bucket over the range (`interval=auto`: at most 200 buckets, all present). */
    timeseries: (params: QoeParams) =>
      get<TimeseriesAnswer>('/api/v1/qoe/timeseries', { ...params, interval: 'auto' }),
    breakdown: (params: QoeParams & { dimension: BreakdownDimension; limit?: number }) =>
      get<BreakdownAnswer>('/api/v1/qoe/breakdown', { ...params }),
    /** Every stored beacon of one session, SDK and CMCD (`synthetic`: whose beacons may be shown). */
    sessionBeacons: (sessionId: string, synthetic: SyntheticScope) =>
      get<SessionBeaconsResponse>(`/api/v1/qoe/sessions/${encodeURIComponent(sessionId)}/beacons`, {
        synthetic,
      }),
    sessions: (params: QoeParams & { limit?: number; sort?: 'worst' | 'newest' }) =>
      get<SessionsAnswer>('/api/v1/qoe/sessions', { ...params }),
    /** The last 30 minutes from the raw beacons, minute by minute, and the viewers of the last 60 s (no range). */
    live: (params: Omit<QoeParams, 'from' | 'to'>) => get<LiveAnswer>('/api/v1/qoe/live', { ...params }),
    /** Ingest's catalog of experiments (scope 'experiments'), newest first as it answers them. */
    async experiments(): Promise<Experiment[]> {
      return (await get<{ experiments: Experiment[] }>('/api/v1/experiments')).experiments;
    },
    experiment: (id: string) => get<Experiment>(`/api/v1/experiments/${encodeURIComponent(id)}`),
    /** Analytics' results (scope 'analytics-read'); reading them also enforces the guardrails. */
    experimentResults: (id: string, params: { synthetic: SyntheticScope }) =>
      get<ExperimentResults>(`/api/v1/experiments/${encodeURIComponent(id)}/results`, { ...params }),
    /** Analytics' feature sets, live and previous version each (scope 'analytics-read'). */
    featureStatus: () => get<FeatureStatus>('/api/v1/features/status'),
    /** The previous version live again (scope 'manage'); 409 when there is nothing to roll back to. */
    rollbackFeatureSet: (set: FeatureSetName) =>
      request<FeatureSetStatus>('POST', `/api/v1/features/${encodeURIComponent(set)}/rollback`),
    /** Coverage, click-through per reason and recommended views' QoE (scope 'analytics-read'). */
    recommendationHealth: (params: Omit<QoeParams, 'videoId'>) =>
      get<RecommendationHealth>('/api/v1/recommendations/health', { ...params }),
    /** Ingest's per-title plan under the constraints given, the planner's defaults for the rest (scope 'manage'). */
    ladderPlan: (videoId: string, query: Record<string, string>) =>
      get<LadderPlanResponse>(`${videoPath(videoId)}/ladder-plan`, query),
    /** The proposal encoded and an experiment current vs proposed started (201; an operator's key). */
    proposeLadder: (videoId: string, body: Record<string, unknown>) =>
      request<ProposeLadderResponse>('POST', `${videoPath(videoId)}/ladder-plan`, {}, body),
    /** The video's primary ladder and its others, with the bytes each stores (scope 'manage'). */
    videoLadders: (videoId: string) => get<VideoLadderList>(`${videoPath(videoId)}/ladders`),
    /** Analytics' QoE alert rules with their state and last reading (scope 'analytics-read'). */
    async alertRules(): Promise<AlertRule[]> {
      return (await get<AlertRulesResponse>('/api/v1/alerts/rules')).rules;
    },
    /** A new rule, in state ok (201; scope 'manage'); 400 names what is wrong with the body. */
    createAlertRule: (body: CreateAlertRuleBody) =>
      request<AlertRule>('POST', '/api/v1/alerts/rules', {}, body),
    /** The rule and its events gone (204; scope 'manage'); 404 for an unknown rule. */
    deleteAlertRule: (id: string) =>
      request<void>('DELETE', `/api/v1/alerts/rules/${encodeURIComponent(id)}`),
    /** The rules' state changes, newest first, with how the webhook took each (scope 'analytics-read'). */
    async alertEvents(params: { limit?: number; ruleId?: string } = {}): Promise<AlertEvent[]> {
      return (await get<AlertEventsResponse>('/api/v1/alerts/events', { ...params })).events;
    },
  };
}
