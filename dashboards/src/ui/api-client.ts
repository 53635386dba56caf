/**
 * The typed client of the APIs the dashboards read (same origin, `Authorization: Bearer <key>`).
 * Response types are core's contract (`import type` only: nothing server-side reaches the bundle).
 * Pure apart from the `fetch` it is given, so Node tests can drive it against the real routes.
 */
import type {
  QoeBreakdownResponse,
  QoeFilters,
  QoeOverviewResponse,
  QoeSessionsResponse,
  QoeViewSummary,
  SyntheticScope,
} from '@streamloop/core/schemas/qoe-api';
import type { Video } from '@streamloop/core/schemas/video';

/**
 * What analytics adds for simulated viewers (issue 11): the scope echoed next to `filters`, and per
 * view the synthetic mark, cohort and network class. Read as optional, so a page also works against
 * an analytics that does not send them yet.
 */
export type ScopeEcho = { synthetic?: SyntheticScope };
export type SessionRow = QoeViewSummary & { synthetic?: boolean; cohort?: string; networkClass?: string };
export type OverviewAnswer = QoeOverviewResponse & ScopeEcho;
export type BreakdownAnswer = QoeBreakdownResponse & ScopeEcho;
export type SessionsAnswer = Omit<QoeSessionsResponse, 'views'> & ScopeEcho & { views: SessionRow[] };

/** What a breakdown can group by: the QoE filters, and the two dimensions of simulated viewers. */
export type BreakdownDimension = keyof QoeFilters | 'cohort' | 'networkClass';

/** The range, the scope and the video (when one is picked) every QoE call of a page carries. */
export interface QoeParams {
  from: string;
  to: string;
  synthetic: SyntheticScope;
  videoId?: string;
}

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

  async function get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    const search = params.toString() === '' ? '' : `?${params}`;
    let response: Response;
    try {
      response = await send(`${base}${path}${search}`, {
        headers: { authorization: `Bearer ${deps.apiKey()}`, accept: 'application/json' },
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, `cannot reach the server (${err instanceof Error ? err.message : String(err)})`);
    }
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

  return {
    /** The catalog's first page of videos; it answers `{ videos, nextCursor }` (a bare array is taken too). */
    async videos(): Promise<Video[]> {
      const body = await get<{ videos?: Video[] } | Video[]>('/api/v1/videos');
      return Array.isArray(body) ? body : Array.isArray(body?.videos) ? body.videos : [];
    },
    overview: (params: QoeParams) => get<OverviewAnswer>('/api/v1/qoe/overview', { ...params }),
    breakdown: (params: QoeParams & { dimension: BreakdownDimension; limit?: number }) =>
      get<BreakdownAnswer>('/api/v1/qoe/breakdown', { ...params }),
    sessions: (params: QoeParams & { limit?: number }) =>
      get<SessionsAnswer>('/api/v1/qoe/sessions', { ...params }),
  };
}
