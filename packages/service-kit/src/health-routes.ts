import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Registry } from '@streamloop/core/metrics';
import type { AdapterInfo, Port } from '@streamloop/core/port';
import type { FastifyInstance } from 'fastify';

export interface DependencyState extends AdapterInfo {
  /** False: the service keeps serving without it (degraded), so a load balancer must not drop it. */
  required: boolean;
  ok: boolean;
  error?: string;
}

export interface HealthDeps {
  /** Dependencies the service cannot serve without: one failing makes /readyz 503. */
  ports: Port[];
  /** Dependencies it serves without (part of its work waits): one failing shows as `degraded`, still 200. */
  optionalPorts?: Port[];
  registry: Registry;
}

/** How long one dependency may take to answer a readiness probe before it counts as failing. */
const PING_TIMEOUT_MS = 2_000;

export async function checkDependencies(
  deps: Pick<HealthDeps, 'ports' | 'optionalPorts'>,
): Promise<DependencyState[]> {
  const all = [
    ...deps.ports.map((port) => ({ port, required: true })),
    ...(deps.optionalPorts ?? []).map((port) => ({ port, required: false })),
  ];
  return Promise.all(
    all.map(async ({ port, required }) => {
      try {
        await withTimeout(
          port.ping(),
          PING_TIMEOUT_MS,
          () => new Error(`no answer within ${PING_TIMEOUT_MS} ms`),
        );
        return { ...port.adapter, required, ok: true };
      } catch (err) {
        return { ...port.adapter, required, ok: false, error: reasonOf(err) };
      }
    }),
  );
}

const describeFailure = (d: DependencyState) => `${d.port} (${d.service} at ${d.target}): ${d.error}`;

/**
 * `/healthz` (the process is alive), `/readyz` (every dependency with whether it is required; 503
 * only when a required one fails, naming it; `degraded` with 200 when only optional ones fail), `/metrics`.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const dependencies = await checkDependencies(deps);
    const failing = dependencies.filter((d) => !d.ok && d.required);
    const degraded = dependencies.filter((d) => !d.ok && !d.required);
    reply.code(failing.length === 0 ? 200 : 503);
    return {
      status: failing.length > 0 ? 'unavailable' : degraded.length > 0 ? 'degraded' : 'ready',
      ...(failing.length > 0 ? { failing: failing.map(describeFailure) } : {}),
      ...(degraded.length > 0 ? { degraded: degraded.map(describeFailure) } : {}),
      dependencies,
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
}
