// Shared steps of `npm start` and `npm test`: install what is missing, build, run a child process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export const step = (msg) => process.stdout.write(`▸ ${msg}\n`);

export function run(command, args, { env, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', ...env },
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else {
        const err = new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`);
        err.output = output;
        reject(err);
      }
    });
  });
}

/** `npm ci` on a fresh clone, `npm install` when package-lock.json changed since the last install. */
export async function ensureInstalled() {
  const stamp = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  const fresh = !fs.existsSync(path.join(ROOT, 'node_modules'));
  step(fresh ? 'installing dependencies (npm ci, first run only)…' : 'package-lock.json changed: npm install…');
  await run('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error']);
}

export async function build() {
  step('building (turbo, cached)…');
  try {
    await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only', '--log-prefix=none'], { quiet: true });
  } catch (err) {
    process.stderr.write(err.output ?? '');
    throw err;
  }
}
