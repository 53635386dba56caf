/**
 * The body of every composition root (`src/main.ts`): read config once, open the ports it needs,
 * let the process register its routes and workers, listen, print where, and drain on SIGTERM/SIGINT.
 * A start that cannot succeed ends with one line naming the fix, and no stack trace.
 */
import type { AddressInfo } from 'node:net';
import { type Config, ConfigError, loadConfig } from '@streamloop/core/config';
import { DependencyUnavailableError, reasonOf } from '@streamloop/core/errors';
import { createLogger, type Logger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import type { Port } from '@streamloop/core/port';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from './build-http-app.js';
import {
  closePorts,
  listPorts,
  openPorts,
  type PortMap,
  type PortName,
  type PortOpenOptions,
} from './open-ports.js';

export interface ProcessContext<K extends PortName> {
  config: Config;
  logger: Logger;
  registry: Registry;
  ports: Pick<PortMap, K>;
  app: FastifyInstance;
}

export interface ProcessSpec<K extends PortName> {
  /** 'stack', 'ingest', ... — names the logger and the banner. */
  name: string;
  ports: readonly K[];
  /**
   * Of `ports`, those the process serves without: /readyz reports them `degraded` instead of failing,
   * so an outage of, say, the feature store does not take the process out of a load balancer.
   */
  optionalPorts?: readonly K[];
  /**
   * How to open particular ports, e.g. an event log that connects in the background — for a process
   * that must also START without Kafka (list it in `optionalPorts` too).
   */
  openOptions?: PortOpenOptions;
  /** Registers routes and starts workers; returns what must be stopped before the ports close. */
  start(
    context: ProcessContext<K>,
  ): Promise<{ stop?: () => Promise<void>; urls?: Record<string, string> } | void>;
}

/** How long a stop waits for requests in flight before it closes their connections. */
export const SHUTDOWN_GRACE_MS = 5_000;

function exitWith(message: string): never {
  process.stderr.write(`streamloop: ${message}\n`);
  process.exit(1);
}

export async function runProcess<K extends PortName>(spec: ProcessSpec<K>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) exitWith(`invalid configuration: ${err.message}`);
    throw err;
  }
  const logger = createLogger({ name: spec.name, level: config.logLevel });
  // The AWS SDK prints a multi-line notice about Node < 22 support ending in 2027 on every start;
  // it is the SDK's documented switch, set here so a process's first output stays ours.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  let ports: Pick<PortMap, K>;
  try {
    ports = await openPorts(config, logger, spec.ports, spec.openOptions);
  } catch (err) {
    exitWith(err instanceof DependencyUnavailableError ? err.message : `cannot start: ${reasonOf(err)}`);
  }
  for (const port of listPorts(ports)) {
    const { adapter } = port;
    logger.info({ adapter }, `${adapter.port}: ${adapter.kind} ${adapter.service} (${adapter.target})`);
  }

  const registry = createMetricsRegistry();
  const optional = new Set<Port>(
    (spec.optionalPorts ?? []).map((name) => (ports as Partial<PortMap>)[name] as Port),
  );
  const app = buildHttpApp({
    logger,
    registry,
    ports: listPorts(ports).filter((port) => !optional.has(port)),
    optionalPorts: listPorts(ports).filter((port) => optional.has(port)),
    trustProxy: config.trustProxy,
  });
  let started: Awaited<ReturnType<ProcessSpec<K>['start']>>;
  try {
    started = await spec.start({ config, logger, registry, ports, app });
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await closePorts(ports, logger);
    const listenHint = (err as { code?: string }).code === 'EADDRINUSE' ? '; set PORT to a free port' : '';
    exitWith(`cannot start ${spec.name}: ${reasonOf(err)}${listenHint}`);
  }

  const { port } = app.server.address() as AddressInfo;
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const urls = { health: '/healthz', readiness: '/readyz', metrics: '/metrics', ...(started?.urls ?? {}) };
  const adapters = listPorts(ports).map(
    ({ adapter }) => `  ${adapter.port.padEnd(16)}${adapter.kind} · ${adapter.service} (${adapter.target})`,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    // server.close() waits for every connection, and Node closes an idle one only once a request
    // ended on it: a socket that connected and never sent one (a browser's preconnect, a client
    // aborted mid-connect) holds the stop until headersTimeout, 60-90 s. Requests in flight get
    // SHUTDOWN_GRACE_MS to finish; then whatever is still connected is cut.
    const cut = setTimeout(() => {
      app.server.getConnections((_err, open) => {
        if (open > 0)
          logger.warn({ open }, `closing ${open} connection(s) still open after the grace period`);
        app.server.closeAllConnections();
      });
    }, SHUTDOWN_GRACE_MS);
    await app.close();
    clearTimeout(cut);
    await started?.stop?.().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    await closePorts(ports, logger);
    process.exit(0);
  };
  // Before the line that says the process is running: whoever reads it may stop the process at once,
  // and a SIGTERM with no listener yet would kill it outright (exit by signal, nothing drained).
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  process.stdout.write(
    `\nstreamloop ${spec.name} is running on ${base}\n${Object.entries(urls)
      .map(([what, url]) => `  ${what.padEnd(11)}${url.startsWith('http') ? url : base + url}`)
      .join('\n')}\n${adapters.length > 0 ? `ports:\n${adapters.join('\n')}\n` : ''}\n`,
  );
}
