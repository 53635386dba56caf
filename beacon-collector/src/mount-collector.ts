/**
 * `POST /v1/beacons`: a JSON array of `qoe.beacon.v1` beacons, as `application/json` or as the
 * `text/plain` that `navigator.sendBeacon` and the SDK's no-preflight `fetch` send, optionally
 * gzip-encoded. Valid beacons are enriched (receive time, clock offset, IP prefix, parsed user agent,
 * trusted country) and written to `qoe-beacons` as one `qoe.beacon-batch.v1` message per session
 * (keyed by session id) through the durable output: 202 means Kafka acknowledged them (acks=all) or,
 * while Kafka is unavailable, the local spool fsynced them. A full spool (or, without one, a failed
 * publish) answers 503 + Retry-After and keeps nothing, so the client sends the batch again.
 *
 * 202 {accepted} · 207 {accepted, rejected:[{index, issues}]} · 400 ERR_VALIDATION ·
 * 403 ERR_FORBIDDEN (origin) · 413 ERR_PAYLOAD_TOO_LARGE · 415 ERR_UNSUPPORTED_MEDIA_TYPE ·
 * 429 ERR_RATE_LIMITED + Retry-After · 503 ERR_DEPENDENCY_UNAVAILABLE + Retry-After
 */
import { AppError } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { toBeaconBatchMessages } from '@streamloop/core/schemas/beacon-envelope';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FastifyError, FastifyInstance } from 'fastify';
import { parseBeaconBatch } from './beacon-batch.js';
import { decodeBeaconBody } from './beacon-body.js';
import { buildBeaconContext } from './beacon-context.js';
import { createBeaconMetrics } from './beacon-metrics.js';
import { createCorsPolicy } from './cors.js';
import {
  createDurableOutput,
  type DurableOutputOptions,
  SpoolFullError,
  type SpoolOptions,
} from './durable-output.js';
import { rateLimitKey } from './ip-prefix.js';
import { createRateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { beaconResponseSchemas } from './response-schemas.js';
import { createUserAgentParser } from './user-agent.js';

export interface CollectorDeps {
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
  registry: Registry;
  /** Largest body, compressed or not; keepalive fetch and sendBeacon cap theirs at 64 KiB anyway. */
  maxBodyBytes?: number;
  maxBeacons?: number;
  maxDepth?: number;
  /** Browser origins allowed to send beacons; unset: any (`*`), since beacons carry no credentials. */
  allowedOrigins?: readonly string[];
  /** Topic to produce to; default `qoe-beacons`. */
  topic?: string;
  buffer?: Partial<BufferOptions>;
  /** Where beacons go while Kafka is unavailable (fsynced, bounded); without one a failed publish is a 503. */
  spool?: SpoolOptions;
  /** Requests per client; `false` turns the limit off (benchmarks, a trusted relay in front). */
  rateLimit?: RateLimitOptions | false;
  /** A header an edge we trust sets to the client's country (e.g. `cf-ipcountry`); unset: no country. */
  countryHeader?: string;
  /** A 503 says "come back in this many seconds", plus up to as much again of jitter. */
  retryAfterSeconds?: number;
  /** How long shutdown waits for queued beacons to be published or spooled. */
  shutdownFlushTimeoutMs?: number;
  /** Server clock for `receivedAtMs`. */
  now?: () => number;
  random?: () => number;
}

export const BEACONS_PATH = '/v1/beacons';

type BufferOptions = Omit<DurableOutputOptions, 'name' | 'topic' | 'spool'>;

/**
 * Beacons waiting in memory for Kafka's ack (a publish in flight, the next batch gathering); one
 * publish carries up to 1000 messages (requests); one that takes over 3 s sends writes to the spool.
 */
export const DEFAULT_BUFFER: BufferOptions = {
  maxBuffered: 50_000,
  maxBatch: 1000,
  publishTimeoutMs: 3000,
  retry: { initialDelayMs: 250, maxDelayMs: 5000 },
};

/** 256 MiB of spool ≈ 700k beacons (~350 bytes each in a batch): two hours of a site taking 100/s with Kafka away. */
export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;

/** 50 requests/s per address, bursts of 100: a whole office of players behind one NAT fits. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 50, burst: 100 };

export function mountCollector(app: FastifyInstance, deps: CollectorDeps): void {
  const maxBodyBytes = deps.maxBodyBytes ?? 64 * 1024;
  const limits = { maxBeacons: deps.maxBeacons ?? 500, maxDepth: deps.maxDepth ?? 8 };
  const topic = deps.topic ?? TOPICS.qoeBeacons.name;
  const retryAfterSeconds = deps.retryAfterSeconds ?? 5;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const countryHeader = deps.countryHeader?.toLowerCase();
  const metrics = createBeaconMetrics(deps.registry);
  const cors = createCorsPolicy(deps.allowedOrigins);
  const rateLimiter =
    deps.rateLimit === false ? undefined : createRateLimiter(deps.rateLimit ?? DEFAULT_RATE_LIMIT);
  const parseUserAgent = createUserAgentParser();
  // Between the HTTP answer and Kafka: the 202 waits for it; a refusal is the 503 below.
  const output = createDurableOutput(
    {
      name: 'qoe-beacons',
      topic,
      ...DEFAULT_BUFFER,
      ...deps.buffer,
      ...(deps.spool === undefined ? {} : { spool: deps.spool }),
    },
    {
      eventLog: deps.eventLog,
      logger: deps.logger,
      metrics: {
        buffered: metrics.buffered,
        published: metrics.produced,
        publishFailures: metrics.produceFailures,
        publishDuration: metrics.produceDuration,
        spooled: metrics.spooled,
        spoolBytes: metrics.spoolBytes,
        spoolSkipped: metrics.spoolSkipped,
      },
    },
  );

  // An encapsulated scope: the body parsers, hooks and error mapping below apply to the beacon route only.
  app.register(async (scope) => {
    // Before the app is ready: what a previous process left in the spool starts draining now.
    await output.open();
    // No per-request child logger here (fastify makes one per request, a pino child bound to the
    // request id: ~20 µs, a tenth of a beacon request's cost, profiled in issue 16). Nothing on this
    // route logs per request; a 500 is logged by the app's error handler, without the request id.
    scope.setChildLoggerFactory((logger) => logger);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'buffer', bodyLimit: maxBodyBytes },
      (request, body, done) => {
        try {
          done(null, decodeBeaconBody(body as Buffer, request.headers['content-encoding'], maxBodyBytes));
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );

    // CORS headers go on every answer, errors included: a browser hides the status of a response
    // without them, and the SDK would take a 400 for a network failure and resend forever.
    // Callback hooks, not async ones: no promise per request on the hot path.
    scope.addHook('onRequest', (request, reply, done) => {
      try {
        cors.apply(request, reply);
      } catch (err) {
        return done(err as Error);
      }
      // Before the body is read: a flood costs a map lookup per request, not a parse.
      if (rateLimiter === undefined || request.method !== 'POST') return done();
      const waitMs = rateLimiter.take(rateLimitKey(request.ip), now());
      if (waitMs === 0) return done();
      metrics.refused.inc({ reason: 'rate_limited' });
      reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
      done(new AppError('ERR_RATE_LIMITED', 'too many beacon requests from this address; slow down'));
    });
    scope.addHook('onResponse', (request, reply, done) => {
      if (request.method === 'POST') metrics.requestDuration.observe(reply.elapsedTime / 1000);
      done();
    });
    // Runs after the server stopped taking requests (fastify closes the listener first).
    scope.addHook('onClose', async () => {
      await output.close(deps.shutdownFlushTimeoutMs ?? 10_000);
    });

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
        .header('access-control-allow-headers', 'content-type, content-encoding')
        .header('access-control-max-age', '86400')
        .send(),
    );

    scope.post(BEACONS_PATH, { schema: { response: beaconResponseSchemas } }, async (request, reply) => {
      const receivedAtMs = now();
      if (typeof request.body !== 'string') {
        throw new AppError(
          'ERR_VALIDATION',
          'send a JSON array of beacons as application/json or text/plain',
        );
      }
      const { valid, rejected } = parseBeaconBatch(request.body, limits);
      metrics.rejected.inc(rejected.length);
      if (valid.length === 0) {
        throw new AppError('ERR_VALIDATION', `none of the ${rejected.length} beacons is valid`, { rejected });
      }

      const context = buildBeaconContext(
        valid,
        receivedAtMs,
        {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          country: countryHeader === undefined ? undefined : headerValue(request.headers[countryHeader]),
        },
        parseUserAgent,
      );
      // All valid: the body's own text is their JSON, embedded instead of serialised again.
      const messages = toBeaconBatchMessages(
        valid,
        receivedAtMs,
        context,
        rejected.length === 0 ? request.body : undefined,
      );
      try {
        await output.write(messages, valid.length);
      } catch (err) {
        metrics.refused.inc({ reason: err instanceof SpoolFullError ? 'spool_full' : 'unavailable' });
        // Jitter: players refused together should not all come back together.
        reply.header('retry-after', String(Math.round(retryAfterSeconds * (1 + random()))));
        throw new AppError(
          'ERR_DEPENDENCY_UNAVAILABLE',
          'beacons cannot be stored right now; send them again after Retry-After seconds',
        );
      }

      metrics.accepted.inc(valid.length);
      if (rejected.length === 0) return reply.code(202).send({ accepted: valid.length });
      return reply.code(207).send({ accepted: valid.length, rejected });
    });
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
