/**
 * The QoE API as analytics serves it (service-kit's HTTP app with its error handler and /healthz,
 * analytics' QoE routes, the legacy API key) on 127.0.0.1, on a clock fixed by the bench so the
 * default ranges and the live route's last 30 minutes fall on the generated data. Only the QoE routes:
 * the rest of mountAnalytics (consumers, cron jobs, catalog routes) would only add unrelated load.
 */
import type { AddressInfo } from 'node:net';
import { registerQoeRoutes } from '@streamloop/analytics/qoe-routes';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';

export interface QoeApi {
  baseUrl: string;
  close(): Promise<void>;
}

export async function startQoeApi(deps: {
  store: AnalyticsStore;
  apiKey: string;
  nowMs: number;
  /** The privacy floor's k; unset: the route's default, as QOE_PRIVACY_MIN_VIEWERS unset in production. */
  privacyMinViewers?: number | undefined;
}): Promise<QoeApi> {
  const logger = createLogger({ name: 'dashboards-bench', level: 'warn' });
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const app = buildHttpApp({ logger, registry, ports: [deps.store] });
  registerQoeRoutes(app, {
    analyticsStore: deps.store,
    apiKey: deps.apiKey,
    now: () => deps.nowMs,
    ...(deps.privacyMinViewers === undefined ? {} : { privacyMinViewers: deps.privacyMinViewers }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
