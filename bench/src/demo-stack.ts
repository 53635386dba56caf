/**
 * The single-process stack on embedded defaults with its demo title, as a child process, for the
 * benches that play from it (bench:sdk, bench:simulator-live). `dataDir` keeps the data directory
 * (a second run skips the demo's transcode); otherwise a fresh temporary one.
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '@streamloop/service-kit/child-process';

export function startDemoStack(options: {
  apiKey: string;
  /** Prefix of the temporary data directory. */
  name: string;
  dataDir?: string;
  env?: Record<string, string>;
}): ReturnType<typeof startProcess> {
  const entry = createRequire(import.meta.url).resolve('@streamloop/stack/main');
  return startProcess(entry, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    LOG_LEVEL: 'warn',
    STREAMLOOP_DATA_DIR: options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), `${options.name}-`)),
    STREAMLOOP_DEMO: '1',
    STREAMLOOP_API_KEY: options.apiKey,
    ...options.env,
  });
}
