/** The dashboards process as services mode runs it (built dist/main.js): it serves the page. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from '@streamloop/service-kit/child-process';
import { expect, it } from 'vitest';

it('serves /dashboards/ and exits 0 on SIGTERM', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'streamloop-dashboards-main-'));
  const running = await startProcess(fileURLToPath(new URL('../dist/main.js', import.meta.url)), {
    PATH: process.env.PATH,
    PORT: '0',
    LOG_LEVEL: 'warn',
    STREAMLOOP_DATA_DIR: dataDir,
  });
  try {
    expect(running.output()).toMatch(/dashboards\s+http:\/\/\S+\/dashboards\//);
    const res = await fetch(`${running.baseUrl}/dashboards/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    expect(await res.text()).toContain('data-metric="plays"');
  } finally {
    expect(await running.stop()).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  }
});
