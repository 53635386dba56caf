import { AppError, errorBody } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import type { Port } from '@streamloop/core/port';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import { registerHealthRoutes } from './health-routes.js';

export interface HttpAppDeps {
  logger: Logger;
  registry: Registry;
  /** Dependencies /readyz requires. */
  ports: Port[];
  /** Dependencies /readyz reports without requiring them (a failure is `degraded`, not 503). */
  optionalPorts?: Port[];
  /** Proxies whose X-Forwarded-For is believed (config TRUST_PROXY); none by default. */
  trustProxy?: string[];
}

/**
 * The HTTP app every streamloop process starts from: the shared error handler and the health routes.
 * Side-effect free: tests call it and use `app.inject()`; services register their routes on it.
 */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request logs would drown the log at segment rates; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: deps.trustProxy ?? false,
    // Beacon session ids may be 128 characters (schema); fastify's default stops at 100.
    routerOptions: { maxParamLength: 256 },
    // Multi-type keywords (`type: ['string', 'number', 'boolean', 'null']`, SQL parameters) are meant:
    // without this ajv logs a strict-mode warning at every start. The `anyOf` spelling would let
    // fastify's type coercion turn a number into a string in the first branch.
    ajv: { customOptions: { allowUnionTypes: true } },
  });

  // One error handler for every route: codes from the registry, never 5xx internals in a body.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) return reply.code(err.status).send(errorBody(err));
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status < 500) {
      const code = err.validation ? 'ERR_VALIDATION' : 'ERR_BAD_REQUEST';
      return reply.code(status).send({ error: { code, message: err.message } });
    }
    request.log.error({ err }, 'request failed');
    return reply
      .code(500)
      .send(errorBody(new AppError('ERR_INTERNAL', 'internal error; see the server log')));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        errorBody(new AppError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
      ),
  );

  registerHealthRoutes(app, {
    ports: deps.ports,
    ...(deps.optionalPorts === undefined ? {} : { optionalPorts: deps.optionalPorts }),
    registry: deps.registry,
  });
  return app;
}
