import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX_TEMPLATE_PATH, type NginxConfigVars, renderNginxConfig } from '../src/nginx-config.js';
import { makeStateDir, type NginxStateDir, testNginxConfig } from './nginx.js';

const vars = (stateDir: string): NginxConfigVars => ({
  LISTEN_ADDRESS: '127.0.0.1:18080',
  INGEST_UPSTREAM: '127.0.0.1:18081',
  DELIVERY_UPSTREAM: '127.0.0.1:18082',
  BEACON_COLLECTOR_UPSTREAM: '127.0.0.1:18083',
  ANALYTICS_UPSTREAM: '127.0.0.1:18084',
  DASHBOARDS_UPSTREAM: 'localhost:18085',
  NGINX_STATE_DIR: stateDir,
});

describe('the nginx edge config', () => {
  let state: NginxStateDir;
  beforeAll(async () => {
    state = await makeStateDir();
  });
  afterAll(async () => {
    await state?.remove();
  });

  it('renders every placeholder and passes `nginx -t`', async () => {
    const rendered = renderNginxConfig(vars(state.dir));
    expect(rendered).not.toMatch(/\$\{[A-Z_]+\}/);
    expect(rendered).toContain(`pid ${state.dir}/nginx.pid;`);
    const confPath = path.join(state.dir, 'nginx.conf');
    await writeFile(confPath, rendered);
    const result = testNginxConfig(confPath, state.dir);
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('uses only the placeholders it documents (nginx variables are never written in braces)', () => {
    const template = readFileSync(NGINX_TEMPLATE_PATH, 'utf8');
    const placeholders = new Set([...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(vars('/x')).sort());
  });

  it.each([
    { name: 'DELIVERY_UPSTREAM', value: '127.0.0.1:1; include /etc/passwd', why: 'host:port' },
    { name: 'INGEST_UPSTREAM', value: 'http://127.0.0.1:1', why: 'host:port' },
    { name: 'NGINX_STATE_DIR', value: 'relative/dir', why: 'absolute path' },
    { name: 'NGINX_STATE_DIR', value: '/tmp/has space', why: 'absolute path' },
  ])('refuses $name=$value (it would rewrite the config around it)', ({ name, value, why }) => {
    expect(() => renderNginxConfig({ ...vars('/tmp/x'), [name]: value })).toThrow(
      new RegExp(`${name}=.*${why}`),
    );
  });

  it('names a placeholder the template needs and was not given', () => {
    const template = `listen \${LISTEN_ADDRESS}; \${EXTRA_THING}`;
    expect(() => renderNginxConfig(vars('/tmp/x'), template)).toThrow(/EXTRA_THING/);
  });
});
