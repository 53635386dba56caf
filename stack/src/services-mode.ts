/**
 * Services mode on one machine: every service as its own process on the real services, behind nginx
 * as the single origin (API gateway + edge cache). Used by `npm run start:services` and by e2e.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { renderNginxConfig } from '@streamloop/delivery/nginx-config';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';

const require = createRequire(import.meta.url);

export const SERVICES = [
  'ingest',
  'transcode',
  'delivery',
  'beacon-collector',
  'analytics',
  'dashboards',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServicesMode {
  /** The single origin (nginx). */
  baseUrl: string;
  services: Record<ServiceName, RunningProcess>;
  stop(): Promise<void>;
}

export interface ServicesModeOptions {
  /** Environment of every service process: connection variables, shared secrets, LOG_LEVEL. */
  env: Record<string, string | undefined>;
  /** Folder for each service's data dir and nginx's state; created when missing. */
  stateDir: string;
  /** Port of the single origin; 0 picks a free one. */
  port?: number;
  host?: string;
}

export async function startServicesMode(options: ServicesModeOptions): Promise<ServicesMode> {
  const host = options.host ?? '127.0.0.1';
  fs.mkdirSync(options.stateDir, { recursive: true });
  // Started as root, nginx runs its workers as `nobody`, who must reach the cache under this folder
  // (mkdtemp makes 0700 folders).
  fs.chmodSync(options.stateDir, 0o755);
  const started: RunningProcess[] = [];
  const stopAll = async () => {
    await Promise.allSettled(started.map((p) => p.stop()));
  };
  try {
    const entries = await Promise.all(
      SERVICES.map(async (name) => {
        const dataDir = path.join(options.stateDir, name);
        fs.mkdirSync(dataDir, { recursive: true });
        const running = await startProcess(require.resolve(`@streamloop/${name}/main`), {
          ...options.env,
          PORT: '0',
          HOST: host,
          STREAMLOOP_DATA_DIR: dataDir,
          // nginx replaces X-Forwarded-For with the real peer; believe it only from loopback.
          TRUST_PROXY: '127.0.0.1',
        });
        started.push(running);
        return [name, running] as const;
      }),
    );
    const services = Object.fromEntries(entries) as Record<ServiceName, RunningProcess>;
    const upstream = (name: ServiceName) => new URL(services[name].baseUrl).host;
    const port = options.port || (await freePort(host));
    const nginx = await startNginx(options.stateDir, {
      LISTEN_ADDRESS: `${host}:${port}`,
      INGEST_UPSTREAM: upstream('ingest'),
      DELIVERY_UPSTREAM: upstream('delivery'),
      BEACON_COLLECTOR_UPSTREAM: upstream('beacon-collector'),
      ANALYTICS_UPSTREAM: upstream('analytics'),
      DASHBOARDS_UPSTREAM: upstream('dashboards'),
      NGINX_STATE_DIR: path.join(options.stateDir, 'nginx'),
    });
    return {
      baseUrl: `http://${host}:${port}`,
      services,
      stop: async () => {
        await nginx.stop();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function startNginx(stateDir: string, vars: Parameters<typeof renderNginxConfig>[0]) {
  const nginxDir = vars.NGINX_STATE_DIR;
  fs.mkdirSync(nginxDir, { recursive: true });
  fs.chmodSync(nginxDir, 0o755);
  const conf = path.join(nginxDir, 'nginx.conf');
  fs.writeFileSync(conf, renderNginxConfig(vars));
  const child = spawn('nginx', ['-c', conf, '-p', nginxDir, '-e', path.join(nginxDir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [host, port] = splitHostPort(vars.LISTEN_ADDRESS);
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(host, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start (${stderr.trim() || `see ${stateDir}/nginx/error.log`})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGQUIT'); // graceful: finish in-flight requests
      }),
  };
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
