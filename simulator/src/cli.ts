#!/usr/bin/env node
/**
 * `npm run simulate -- <audience.json|yaml> --target http://host:port --key <api key>
 *   [--mode fast|live] [--seed N] [--out beacons.ndjson] [--video <id>…] [--window-minutes N]`
 *
 * Exit 0: done. 1: the target refused (one line says why). 2: bad flags or a bad audience/trace
 * file (one line `file: field: what`), before any request is sent.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InputFileError, loadAudienceFile } from './audience-file.js';
import type { RunOptions } from './run-context.js';
import { type Mode, simulate } from './simulate.js';

export interface CliOptions extends RunOptions {
  audienceFile: string;
  mode: Mode;
  out: string | undefined;
}

export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

export const USAGE =
  'usage: simulate <audience.json|yaml> --target http://host:port [--key <api key>] [--mode fast|live] [--seed N] [--out beacons.ndjson] [--video <id>]… [--window-minutes N] [--concurrency N] [--allow-remote]';

export function parseCliArgs(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [audienceFile, ...extra] = positionals;
  if (!audienceFile) throw new UsageError('an audience file is required');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const mode = values.mode ?? 'fast';
  if (mode !== 'fast' && mode !== 'live') throw new UsageError(`--mode must be fast or live, not "${mode}"`);
  if (!values.target)
    throw new UsageError('--target is required (the stack: ladders come from it, beacons go to it)');
  let target: string;
  try {
    const url = new URL(values.target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    target = url.origin;
  } catch {
    throw new UsageError(`--target must be an http(s) URL, not "${values.target}"`);
  }
  return {
    audienceFile,
    mode,
    target,
    apiKey: values.key,
    seed: integer(values.seed, '--seed', 1, 0),
    out: values.out,
    videos: values.video ?? [],
    windowMs: integer(values['window-minutes'], '--window-minutes', 60, 1) * 60_000,
    concurrency:
      values.concurrency === undefined ? undefined : integer(values.concurrency, '--concurrency', 1, 1),
    allowRemote: values['allow-remote'] === true,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      target: { type: 'string' },
      key: { type: 'string' },
      mode: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      video: { type: 'string', multiple: true },
      'window-minutes': { type: 'string' },
      concurrency: { type: 'string' },
      'allow-remote': { type: 'boolean' },
    },
  });
}

function integer(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, not "${value}"`);
  return n;
}

export interface CliIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => process.stderr.write(text));
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout(`${USAGE}\n\nAudience files, network classes, fast and live mode: docs/simulate.md\n`);
    return 0;
  }
  let options: CliOptions;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`simulate: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  let loaded: Awaited<ReturnType<typeof loadAudienceFile>>;
  try {
    loaded = await loadAudienceFile(options.audienceFile);
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    stderr(`${error.message}\n`);
    return 2;
  }
  const result = await simulate({
    loaded,
    options,
    mode: options.mode,
    out: options.out,
    log: (line) => stderr(`${line}\n`),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  if (result.exitCode === 2) {
    // A target live mode may not use: one line, like any other bad input.
    stderr(`${result.stopReason}\n`);
    return 2;
  }
  const failures = Object.entries(result.counts.failures)
    .map(([cause, n]) => `${cause}: ${n}`)
    .join(', ');
  if (result.sessions > 0) stdout(`${result.summary.format()}\n`);
  stdout(
    `${result.sessions} sessions · ${result.counts.accepted} beacons ${options.out ? `written to ${options.out}` : 'accepted'} · ${result.counts.refused} refused${failures ? ` (failed attempts: ${failures})` : ''}\n`,
  );
  if (result.stopReason) stderr(`simulate: ${result.stopReason}\n`);
  return result.exitCode;
}

const invokedAs = process.argv[1];
if (invokedAs && realpathSync(invokedAs) === realpathSync(fileURLToPath(import.meta.url))) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  main(process.argv.slice(2), { signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`simulate: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
