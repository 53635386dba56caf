#!/usr/bin/env node
/**
 * Composition root of `streamloop-features`: the real fetch and the environment, one command against
 * a running stack (features-command.ts).
 */
import { reasonOf } from '@streamloop/core/errors';
import { FEATURES_USAGE, runFeaturesCommand } from './features-command.js';
import { StackCommandUsageError } from './stack-api.js';

try {
  process.stdout.write(`${await runFeaturesCommand(process.argv.slice(2), { env: process.env, fetch })}\n`);
} catch (err) {
  process.stderr.write(`streamloop-features: ${reasonOf(err)}\n`);
  if (err instanceof StackCommandUsageError) process.stderr.write(`${FEATURES_USAGE}\n`);
  process.exitCode = err instanceof StackCommandUsageError ? 2 : 1;
}
