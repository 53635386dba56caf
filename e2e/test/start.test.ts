/**
 * The promises of the foundation, checked on real processes: the stack starts on embedded defaults
 * with nothing installed; every process starts on the real services; a wrong or unreachable service
 * stops the start with one line naming the variable; /readyz names a dependency that goes away
 * (degraded, still 200, for one the process serves without); a stop does not wait on a client
 * that connected and said nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { loadConfig } from '@streamloop/core/config';
import { eventually, requireService } from '@streamloop/core/testing';
import { runToExit, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, freePort } from './ports.js';
import { entryOf, processEnv, realServiceEnv } from './processes.js';

interface Dependency {
  port: string;
  kind: 'embedded' | 'real';
  service: string;
  target: string;
  required: boolean;
  ok: boolean;
  error?: string;
}

interface ReadyzBody {
  status: string;
  dependencies: Dependency[];
  failing?: string[];
  degraded?: string[];
}

async function readyz(baseUrl: string): Promise<{ status: number; body: ReadyzBody }> {
  const res = await fetch(`${baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyzBody };
}

describe('npm start: the single-process stack on embedded defaults', () => {
  it('answers /healthz and /readyz with every port embedded, and serves Prometheus metrics', async () => {
    const stack = await startProcess(entryOf('stack'), processEnv());
    try {
      const health = await fetch(`${stack.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      const ready = await readyz(stack.baseUrl);
      expect(ready.status).toBe(200);
      expect(ready.body.dependencies.map((d) => [d.port, d.kind, d.service, d.ok])).toEqual([
        ['object-store', 'embedded', 'local folder', true],
        ['event-log', 'embedded', 'file log', true],
        ['catalog', 'embedded', 'PGlite', true],
        ['analytics-store', 'embedded', 'chdb', true],
        ['feature-store', 'embedded', 'in-memory', true],
      ]);
      const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^streamloop_process_cpu_seconds_total/m);
    } finally {
      expect(await stack.stop()).toBe(0);
    }
  });
});

describe('a start that cannot succeed ends with one line naming the variable', () => {
  const cases = [
    { variable: 'KAFKA_BROKERS', value: '127.0.0.1:1', expect: /KAFKA_BROKERS=127\.0\.0\.1:1/ },
    { variable: 'DATABASE_URL', value: 'postgres//no-scheme', expect: /DATABASE_URL: is not a URL/ },
    { variable: 'DATABASE_URL', value: 'mysql://root@127.0.0.1/x', expect: /DATABASE_URL: scheme 'mysql:'/ },
    {
      variable: 'DATABASE_URL',
      value: 'postgres://postgres@127.0.0.1:1/streamloop',
      expect: /DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:1/,
    },
    { variable: 'REDIS_URL', value: 'redis://127.0.0.1:1', expect: /REDIS_URL=redis:\/\/127\.0\.0\.1:1/ },
    {
      variable: 'S3_ENDPOINT',
      value: 'http://127.0.0.1:1',
      expect: /S3_ENDPOINT=http:\/\/127\.0\.0\.1:1/,
      extra: { S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' },
    },
    { variable: 'PORT', value: 'eighty', expect: /PORT: 'eighty' is not a port number/ },
  ];
  it.each(cases)('$variable=$value', async (c) => {
    // The 30 s bound is the acceptance promise (fail fast), not a speed measurement.
    const result = await runToExit(
      entryOf('stack'),
      processEnv({ [c.variable]: c.value, ...(c.extra ?? {}) }),
      30_000,
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(c.expect);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });
});

describe('services mode: every process starts on the real services', () => {
  let env: Record<string, string | undefined>;
  beforeAll(() => {
    const config = loadConfig(process.env);
    requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
    requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
    requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl);
    requireService('Redis', 'REDIS_URL', config.redisUrl);
    env = realServiceEnv();
  });

  const processes = [
    // Required ones first, then those the process serves without (each service's README says why).
    {
      name: 'stack',
      ports: ['object-store', 'event-log', 'catalog', 'analytics-store', 'feature-store'],
      optional: ['feature-store'],
    },
    // The feature store gives ladder plans their audience; without it they use the reference one.
    {
      name: 'ingest',
      ports: ['object-store', 'catalog', 'event-log', 'feature-store'],
      optional: ['event-log', 'feature-store'],
    },
    { name: 'transcode', ports: ['object-store', 'event-log', 'catalog'], optional: [] },
    { name: 'delivery', ports: ['object-store', 'catalog', 'event-log'], optional: ['event-log'] },
    // It answers from its spool while Kafka is away, and may start without it (issue 16).
    { name: 'beacon-collector', ports: ['event-log'], optional: ['event-log'] },
    {
      name: 'analytics',
      ports: ['event-log', 'catalog', 'analytics-store', 'feature-store'],
      optional: ['feature-store'],
    },
    { name: 'dashboards', ports: ['catalog'], optional: ['catalog'] },
  ];
  it.each(processes)(
    '$name is ready with its ports on the real services',
    async ({ name, ports, optional }) => {
      const running = await startProcess(entryOf(name), processEnv(env));
      try {
        const ready = await readyz(running.baseUrl);
        expect([ready.status, ready.body.status]).toEqual([200, 'ready']);
        expect(ready.body.dependencies.map((d) => d.port)).toEqual(ports);
        expect(ready.body.dependencies.filter((d) => !d.required).map((d) => d.port)).toEqual(optional);
        for (const dep of ready.body.dependencies) {
          // chdb is the ClickHouse engine in-process: the embedded adapter unless CLICKHOUSE_URL is set.
          const expected = dep.port === 'analytics-store' && !env.CLICKHOUSE_URL ? 'embedded' : 'real';
          expect({ port: dep.port, kind: dep.kind, ok: dep.ok }).toEqual({
            port: dep.port,
            kind: expected,
            ok: true,
          });
        }
      } finally {
        expect(await running.stop()).toBe(0);
      }
    },
  );
});

describe('/readyz names a dependency that goes away', () => {
  let redis: ChildProcess | undefined;
  afterAll(() => redis?.kill('SIGKILL'));

  it('stays 200 and names the feature store `degraded` when its Redis stops', async () => {
    // A Redis of this test's own, so stopping it is a real fault that no other test sees.
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await eventually('the test Redis to listen', () =>
      canConnect(port).then((ok) => (ok ? true : undefined)),
    );
    const stack = await startProcess(
      entryOf('stack'),
      processEnv({ REDIS_URL: `redis://127.0.0.1:${port}` }),
    );
    try {
      expect((await readyz(stack.baseUrl)).status).toBe(200);
      redis.kill('SIGKILL');
      const down = await eventually('/readyz to report the failure', async () => {
        const r = await readyz(stack.baseUrl);
        return r.body.status !== 'ready' ? r : undefined;
      });
      // Playback, uploads and beacons work without Redis: the stack stays in the load balancer.
      expect([down.status, down.body.status, down.body.failing]).toEqual([200, 'degraded', undefined]);
      expect(down.body.degraded).toHaveLength(1);
      expect(down.body.degraded?.[0]).toContain(`feature-store (Redis at 127.0.0.1:${port})`);
    } finally {
      await stack.stop();
    }
  });
});

describe('a stop (SIGTERM) with a client connected', () => {
  it('exits 0 and hangs up on a socket that connected and never sent a request', async () => {
    // What a browser's preconnect leaves, or a fetch aborted while connecting. Node keeps such a
    // socket until headersTimeout (60-90 s), and so did every stop: longer than this test may take.
    const stack = await startProcess(entryOf('stack'), processEnv({ STREAMLOOP_DEMO: '0' }));
    const silent = connect(Number(new URL(stack.baseUrl).port), '127.0.0.1');
    await once(silent, 'connect');
    const hungUp = once(silent, 'close');
    expect(await stack.stop()).toBe(0);
    await hungUp;
    expect(silent.destroyed).toBe(true);
  });
});
