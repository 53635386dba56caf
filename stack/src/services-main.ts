/**
 * `npm run start:services`: every service as its own process on the real services (start them with
 * `npm run infra:up`), behind nginx as the single origin on PORT.
 */
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { reasonOf } from '@streamloop/core/errors';
import { startServicesMode } from './services-mode.js';

try {
  const config = loadConfig();
  if (!config.apiKey || !config.signingSecret) {
    throw new Error(
      'set STREAMLOOP_API_KEY and STREAMLOOP_SIGNING_SECRET: separate processes must agree on them',
    );
  }
  const mode = await startServicesMode({
    env: process.env,
    stateDir: path.join(config.dataDir ?? os.tmpdir(), 'services'),
    port: config.port,
    host: config.host,
  });
  process.stdout.write(
    `\nstreamloop services mode is running on ${mode.baseUrl} (nginx → ${Object.keys(mode.services).join(', ')})\n`,
  );
  const stop = () => void mode.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  process.stderr.write(`streamloop: ${reasonOf(err)}\n`);
  process.exit(1);
}
