import { Counter, metricName, type Registry } from '@streamloop/core/metrics';

export interface DeliveryMetrics {
  /** Labels: route (the route pattern), status (HTTP status code). */
  requests: Counter<'route' | 'status'>;
  /** Body bytes written for media responses (playlists and segments), counted as they stream. */
  bytesSent: Counter;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const requestsName = metricName('delivery', 'requests_total');
  const bytesName = metricName('delivery', 'bytes_sent_total');
  // The stack and a test may mount the routes twice on one registry; reuse what is there.
  const requests =
    (registry.getSingleMetric(requestsName) as Counter<'route' | 'status'> | undefined) ??
    new Counter({
      name: requestsName,
      help: 'Delivery HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    });
  const bytesSent =
    (registry.getSingleMetric(bytesName) as Counter | undefined) ??
    new Counter({ name: bytesName, help: 'Media body bytes sent by the origin', registers: [registry] });
  return { requests, bytesSent };
}
