/**
 * A single-process stack for the CLI tests (embedded defaults, no demo, a known API key) in a
 * directory of its own, and the clean-up of both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProcess } from '@streamloop/service-kit/child-process';

export interface CliStack {
  baseUrl: string;
  /** The stack's own directory: files a test writes go here and go with it. */
  dir: string;
  stop(): Promise<void>;
}

export async function startCliStack(name: string, apiKey: string): Promise<CliStack> {
  const dir = await mkdtemp(path.join(tmpdir(), `streamloop-${name}-`));
  const stack = await startProcess(createRequire(import.meta.url).resolve('@streamloop/stack/main'), {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    LOG_LEVEL: 'warn',
    STREAMLOOP_DATA_DIR: path.join(dir, 'data'),
    STREAMLOOP_DEMO: '0',
    STREAMLOOP_API_KEY: apiKey,
  });
  return {
    baseUrl: stack.baseUrl,
    dir,
    async stop() {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
