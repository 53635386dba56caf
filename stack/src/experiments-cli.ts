#!/usr/bin/env node
/**
 * Composition root of `streamloop-experiments`: the real fetch, the environment and the file system,
 * one command against a running stack (experiments-command.ts).
 */
import { readFile } from 'node:fs/promises';
import { reasonOf } from '@streamloop/core/errors';
import { EXPERIMENTS_USAGE, ExperimentsUsageError, runExperimentsCommand } from './experiments-command.js';

try {
  const output = await runExperimentsCommand(process.argv.slice(2), {
    env: process.env,
    fetch,
    readFile: (file) => readFile(file, 'utf8'),
  });
  process.stdout.write(`${output}\n`);
} catch (err) {
  process.stderr.write(`streamloop-experiments: ${reasonOf(err)}\n`);
  if (err instanceof ExperimentsUsageError) process.stderr.write(`${EXPERIMENTS_USAGE}\n`);
  process.exitCode = err instanceof ExperimentsUsageError ? 2 : 1;
}
