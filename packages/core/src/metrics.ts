import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/**
 * A registry per process (no global default registry): the composition root creates it and
 * hands it to each component. Metric names follow `streamloop_<service>_<noun>_<unit>`.
 */
export function createMetricsRegistry(options: { collectProcessMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.collectProcessMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'streamloop_' });
  return registry;
}

const METRIC_NAME = /^streamloop_[a-z0-9]+(_[a-z0-9]+)+$/;

/** Fails fast on a metric name that breaks the naming rule, so dashboards can rely on it. */
export function metricName(service: string, nounAndUnit: string): string {
  const name = `streamloop_${service.replace(/-/g, '_')}_${nounAndUnit}`;
  if (!METRIC_NAME.test(name)) throw new Error(`metric name '${name}' does not match ${METRIC_NAME}`);
  return name;
}
