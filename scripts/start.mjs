// npm start: install what is missing, build, run the whole stack in one process on embedded defaults.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { build, ensureInstalled, ROOT } from './workspace.mjs';

try {
  await ensureInstalled();
  await build();
} catch (err) {
  process.stderr.write(`streamloop: ${err.message}\n`);
  process.exit(1);
}

// The console shows the banner and problems; set LOG_LEVEL=info for the JSON logs.
const child = spawn(process.execPath, [path.join(ROOT, 'stack', 'dist', 'main.js')], {
  stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
