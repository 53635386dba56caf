import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Registry } from '@streamloop/core/metrics';
import type { AdapterInfo, Port } from '@streamloop/core/port';
import type { FastifyInstance } from 'fastify';

export interface DependencyState extends AdapterInfo {
  ok: boolean;
  error?: string;
}

/** How long one dependency may take to answer a readiness probe before it counts as failing. */
const PING_TIMEOUT_MS = 2_000;

export async function checkDependencies(ports: Port[]): Promise<DependencyState[]> {
  return Promise.all(
    ports.map(async (port) => {
      try {
        await withTimeout(port.ping(), PING_TIMEOUT_MS, () => new Error(`no answer within ${PING_TIMEOUT_MS} ms`));
        return { ...port.adapter, ok: true };
      } catch (err) {
        return { ...port.adapter, ok: false, error: reasonOf(err) };
      }
    }),
  );
}

/** `/healthz` (the process is alive), `/readyz` (every dependency answers; 503 names the failing ones), `/metrics`. */
export function registerHealthRoutes(app: FastifyInstance, deps: { ports: Port[]; registry: Registry }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const dependencies = await checkDependencies(deps.ports);
    const failing = dependencies.filter((d) => !d.ok);
    reply.code(failing.length === 0 ? 200 : 503);
    return {
      status: failing.length === 0 ? 'ready' : 'unavailable',
      ...(failing.length > 0 ? { failing: failing.map((d) => `${d.port} (${d.service} at ${d.target}): ${d.error}`) } : {}),
      dependencies,
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
}
