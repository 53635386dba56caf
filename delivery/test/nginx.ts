/**
 * Runs Debian's nginx for real with the rendered streamloop config, in a state folder of its own.
 * A missing nginx fails the test with the package to install; nothing is skipped.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort } from '@streamloop/core/testing';
import { type NginxConfigVars, renderNginxConfig } from '../src/nginx-config.js';

export const NGINX_HINT =
  'nginx is required by this test; install it with `apt-get install nginx-light` (npm run infra:up does)';

export interface NginxStateDir {
  dir: string;
  remove(): Promise<void>;
}

export async function makeStateDir(): Promise<NginxStateDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-nginx-'));
  // Started as root, nginx's workers run as `nobody` and must reach the cache and temp folders.
  await chmod(dir, 0o755);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `nginx -t` on a config file; returns nginx's own report. */
export function testNginxConfig(confPath: string, prefix: string): { status: number | null; output: string } {
  const result = spawnSync('nginx', ['-t', '-c', confPath, '-p', `${prefix}/`, '-e', 'stderr'], {
    encoding: 'utf8',
  });
  if (result.error) throw new Error(`${NGINX_HINT} (${result.error.message})`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNginx {
  baseUrl: string;
  stateDir: string;
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

export async function startNginx(
  upstreams: Omit<NginxConfigVars, 'LISTEN_ADDRESS' | 'NGINX_STATE_DIR'>,
): Promise<RunningNginx> {
  const state = await makeStateDir();
  const port = await freePort();
  const confPath = path.join(state.dir, 'nginx.conf');
  await writeFile(
    confPath,
    renderNginxConfig({ ...upstreams, LISTEN_ADDRESS: `127.0.0.1:${port}`, NGINX_STATE_DIR: state.dir }),
  );
  const child: ChildProcess = spawn(
    'nginx',
    ['-c', confPath, '-p', `${state.dir}/`, '-e', path.join(state.dir, 'error.log')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      'nginx to answer /healthz',
      async () => {
        if (child.exitCode !== null) {
          const log = await readFile(path.join(state.dir, 'error.log'), 'utf8').catch(() => '');
          throw new Error(`nginx exited with ${child.exitCode}: ${output}${log}`);
        }
        const failed = await Promise.race([spawnError, Promise.resolve(undefined)]);
        if (failed) throw new Error(`${NGINX_HINT} (${failed.message})`);
        const res = await fetch(`${baseUrl}/healthz`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      { timeoutMs: 15_000 },
    );
  } catch (err) {
    child.kill('SIGKILL');
    await state.remove();
    throw err;
  }
  return {
    baseUrl,
    stateDir: state.dir,
    accessLog: () => readFile(path.join(state.dir, 'access.log'), 'utf8'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await state.remove();
    },
  };
}

export interface StubService {
  name: string;
  address: string;
  close(): Promise<void>;
}

/**
 * A stand-in for a service nginx routes to: answers with its own name, the request line, the headers
 * it got and the size of the body it read, plus the headers a tus server sends back.
 */
export async function startStub(name: string): Promise<StubService> {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('location', `http://${req.headers.host}/uploads/stub-upload-id`);
      res.setHeader('upload-offset', String(bytes));
      res.setHeader('tus-resumable', '1.0.0');
      res.end(
        JSON.stringify({
          service: name,
          method: req.method,
          url: req.url,
          headers: req.headers,
          bodyBytes: bytes,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    address: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
