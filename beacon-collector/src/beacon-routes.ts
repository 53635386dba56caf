/**
 * `POST /v1/beacons`: a JSON array of `qoe.beacon.v1` beacons, as `application/json` or as the
 * `text/plain` that `navigator.sendBeacon` and the SDK's no-preflight `fetch` send. Valid beacons go
 * to the `qoe-beacons` topic keyed by session id in ONE publish call, so a batch is kept whole or
 * not at all: 503 means nothing was kept and the client should send the batch again.
 *
 * 202 {accepted} · 207 {accepted, rejected:[{index, issues}]} · 400 ERR_VALIDATION ·
 * 413 ERR_PAYLOAD_TOO_LARGE · 415 ERR_UNSUPPORTED_MEDIA_TYPE · 503 ERR_DEPENDENCY_UNAVAILABLE + Retry-After
 */
import { AppError, reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FastifyError, FastifyInstance } from 'fastify';
import { parseBeaconBatch } from './beacon-batch.js';
import { toBeaconMessage } from '@streamloop/core/schemas/beacon-envelope';
import { createBeaconMetrics } from './beacon-metrics.js';
import { createCorsPolicy } from './cors.js';

export interface BeaconRoutesDeps {
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
  registry: Registry;
  /** Largest accepted body; keepalive fetch and sendBeacon cap theirs at 64 KiB anyway. */
  maxBodyBytes?: number;
  maxBeacons?: number;
  /** Browser origins allowed to send beacons; unset: any (`*`), since beacons carry no credentials. */
  allowedOrigins?: readonly string[];
  /** Topic to produce to; default `qoe-beacons`. */
  topic?: string;
  /** A publish slower than this is answered 503 so the client resends instead of hanging. */
  publishTimeoutMs?: number;
  retryAfterSeconds?: number;
  /** Server clock for `receivedAtMs`. */
  now?: () => number;
}

export const BEACONS_PATH = '/v1/beacons';

const countSchema = { type: 'integer', minimum: 0 } as const;
const responseSchemas = {
  202: { type: 'object', properties: { accepted: countSchema }, required: ['accepted'] },
  207: {
    type: 'object',
    properties: {
      accepted: countSchema,
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: countSchema,
            issues: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    required: ['accepted', 'rejected'],
  },
} as const;

export function registerBeaconRoutes(app: FastifyInstance, deps: BeaconRoutesDeps): void {
  const maxBodyBytes = deps.maxBodyBytes ?? 64 * 1024;
  const maxBeacons = deps.maxBeacons ?? 500;
  const topic = deps.topic ?? TOPICS.qoeBeacons.name;
  const publishTimeoutMs = deps.publishTimeoutMs ?? 5000;
  const retryAfter = String(deps.retryAfterSeconds ?? 5);
  const now = deps.now ?? Date.now;
  const metrics = createBeaconMetrics(deps.registry);
  const cors = createCorsPolicy(deps.allowedOrigins);

  // An encapsulated scope: the body parsers and error mapping below apply to the beacon route only.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'string', bodyLimit: maxBodyBytes },
      (_request, body, done) => done(null, body),
    );

    // CORS headers go on every answer, errors included: a browser hides the status of a response
    // without them, and the SDK would take a 400 for a network failure and resend forever.
    scope.addHook('onRequest', async (request, reply) => cors.apply(request, reply));

    scope.setErrorHandler((err: FastifyError) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        throw new AppError('ERR_PAYLOAD_TOO_LARGE', `a beacon batch is at most ${maxBodyBytes} bytes`);
      }
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', 'send beacons as application/json or text/plain');
      }
      throw err; // the app's error handler formats everything else
    });

    scope.options(BEACONS_PATH, async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '86400')
        .send(),
    );

    scope.post(BEACONS_PATH, { schema: { response: responseSchemas } }, async (request, reply) => {
      const receivedAtMs = now();
      if (typeof request.body !== 'string') {
        throw new AppError(
          'ERR_VALIDATION',
          'send a JSON array of beacons as application/json or text/plain',
        );
      }
      const { valid, rejected } = parseBeaconBatch(request.body, maxBeacons);
      metrics.rejected.inc(rejected.length);
      if (valid.length === 0) {
        throw new AppError('ERR_VALIDATION', `none of the ${rejected.length} beacons is valid`, { rejected });
      }

      try {
        await withTimeout(
          deps.eventLog.publish(
            topic,
            valid.map((beacon) => toBeaconMessage(beacon, receivedAtMs)),
          ),
          publishTimeoutMs,
          () => new Error(`publish took longer than ${publishTimeoutMs} ms`),
        );
      } catch (err) {
        metrics.publishFailures.inc(valid.length);
        deps.logger.warn({ topic, beacons: valid.length, reason: reasonOf(err) }, 'beacons not published');
        reply.header('retry-after', retryAfter);
        throw new AppError(
          'ERR_DEPENDENCY_UNAVAILABLE',
          'beacons could not be stored right now; send them again later',
        );
      }

      metrics.accepted.inc(valid.length);
      if (rejected.length === 0) return reply.code(202).send({ accepted: valid.length });
      return reply.code(207).send({ accepted: valid.length, rejected });
    });
  });
}
