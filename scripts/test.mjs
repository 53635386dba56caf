// npm test: install what is missing, start the real services, run every test (lint, types, unit,
// contract, integration, e2e) against them, and stop what this run started.
import { down, serviceEnv, up } from '../infra/services.mjs';
import { build, ensureInstalled, run, step } from './workspace.mjs';

const t0 = Date.now();
let started = [];
let code = 0;
try {
  await ensureInstalled();
  step('lint (biome)…');
  await run('npx', ['biome', 'lint', '.']);
  await build();
  step('starting real services (Kafka, S3Proxy, PostgreSQL, Redis)…');
  started = await up();
  const env = serviceEnv();
  step(`tests against ${Object.entries(env).filter(([k]) => !k.includes('SECRET')).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  await run('npx', ['turbo', 'run', 'typecheck', 'test', '--concurrency=2', '--continue'], { env });
} catch (err) {
  process.stderr.write(`\nnpm test failed: ${err.message}\n`);
  code = 1;
} finally {
  if (started.length > 0) {
    step(`stopping what this run started: ${started.join(', ')}`);
    await down(started).catch((err) => process.stderr.write(`could not stop services: ${err.message}\n`));
  }
  step(`npm test ${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
process.exit(code);
