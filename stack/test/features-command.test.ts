/**
 * The features CLI against the real single-process stack (embedded defaults, so its feature store is
 * the in-memory one inside it): status before any feature job ran, a rollback with nothing to roll
 * back to refused with what to do instead, and usage errors that name the fix. Publishing and rolling
 * back real versions is analytics' test (test/feature-jobs.test.ts); here, that the command reaches them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFeaturesCommand } from '../src/features-command.js';
import { type StackApiDeps, StackApiError, StackCommandUsageError } from '../src/stack-api.js';
import { type CliStack, startCliStack } from './cli-stack.js';

const API_KEY = 'features-cli-test-key-0123456789abcdef';

describe('streamloop-features', () => {
  let stack: CliStack;
  let deps: StackApiDeps;

  beforeAll(async () => {
    stack = await startCliStack('features', API_KEY);
    deps = { env: { STREAMLOOP_URL: stack.baseUrl, STREAMLOOP_API_KEY: API_KEY }, fetch };
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows every set, none published yet', async () => {
    const lines = (await runFeaturesCommand(['status'], deps)).split('\n');
    expect(lines[0]).toMatch(/^SET\s+LIVE\s+ROWS\s+BYTES\s+PUBLISHED\s+FRESHNESS\s+PREVIOUS$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^title\s+none published\s+-\s+-\s+-\s+-\s+-$/),
      expect.stringMatching(/^viewer\s+none published\s+-\s+-\s+-\s+-\s+-$/),
    ]);
  });

  it('refuses a rollback with nothing to roll back to, saying what to do instead', async () => {
    const refused = runFeaturesCommand(['rollback', 'title'], deps);
    await expect(refused).rejects.toBeInstanceOf(StackApiError);
    await expect(refused).rejects.toThrow(
      /POST \/api\/v1\/features\/title\/rollback answered 409 ERR_CONFLICT: .*no previous version.*publish a new version instead/,
    );
  });

  it('names the fix for bad usage, before calling the stack', async () => {
    const cases: [string[], RegExp][] = [
      [['rollback'], /rollback needs the set: one of title, viewer$/],
      [['rollback', 'titles'], /one of title, viewer, not titles/],
      [['rollback', 'title', 'viewer'], /takes one set, got viewer too/],
      [['status', 'extra'], /status takes no arguments/],
      [['publish'], /unknown command publish/],
      [[], /no command given/],
    ];
    for (const [argv, message] of cases) {
      const run = runFeaturesCommand(argv, deps);
      await expect(run, argv.join(' ')).rejects.toBeInstanceOf(StackCommandUsageError);
      await expect(run, argv.join(' ')).rejects.toThrow(message);
    }
    const noKey = runFeaturesCommand(['status'], { env: { STREAMLOOP_URL: stack.baseUrl }, fetch });
    await expect(noKey).rejects.toThrow(/needs an API key with the 'analytics-read' scope/);
  });
});
