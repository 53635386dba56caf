/**
 * The experiments CLI's commands against the real single-process stack (embedded defaults; no
 * video needed: the experiment's scope is every new upload, its treatment a derived ladder): create from a file, list, show,
 * start, results before any viewer, stop with a reason; the API's refusals come back readable, and
 * usage errors name the fix.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExperimentsApiError,
  type ExperimentsCommandDeps,
  ExperimentsUsageError,
  runExperimentsCommand,
} from '../src/experiments-command.js';
import { type CliStack, startCliStack } from './cli-stack.js';

const API_KEY = 'experiments-cli-test-key-0123456789abcdef';

describe('streamloop-experiments', () => {
  let stack: CliStack;
  let deps: ExperimentsCommandDeps;
  let definitionFile: string;
  let experimentId: string;

  beforeAll(async () => {
    stack = await startCliStack('experiments', API_KEY);
    deps = {
      env: { STREAMLOOP_URL: stack.baseUrl, STREAMLOOP_API_KEY: API_KEY },
      fetch,
      readFile: (file) => readFile(file, 'utf8'),
    };
    // The CLI does not manage ladders: the treatment's ladder is defined through the ladders API.
    const ladder = await fetch(`${stack.baseUrl}/api/v1/ladders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'capped-480',
        derivedFrom: { ladderId: 'default' },
        filter: { maxHeight: 480 },
      }),
    });
    expect(ladder.status).toBe(201);
    definitionFile = path.join(stack.dir, 'experiment.json');
    await writeFile(
      definitionFile,
      JSON.stringify({
        name: 'cheaper top rung',
        hypothesis: 'capping at 480p saves bits at equal QoE',
        scope: { newUploads: true },
        arms: [
          { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
          { name: 'capped', ladderId: 'capped-480', trafficPercent: 50 },
        ],
        primaryMetric: 'bits_per_viewer_hour',
        guardrails: [{ metric: 'rebuffer_ratio', marginPercent: 10 }],
        minimumViewersPerArm: 1000,
      }),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('creates an experiment from a file, lists and shows it', async () => {
    const created = await runExperimentsCommand(['create', '--file', definitionFile], deps);
    experimentId = /^created experiment (\S+) \(draft\)/.exec(created)?.[1] ?? '';
    expect(experimentId).not.toBe('');
    expect(await runExperimentsCommand(['list'], deps)).toMatch(
      new RegExp(
        `\\n${experimentId}\\s+draft\\s+control 50%, capped 50%\\s+bits_per_viewer_hour\\s+-\\s+cheaper top rung`,
      ),
    );
    const shown = await runExperimentsCommand(['show', experimentId], deps);
    expect(shown).toContain('hypothesis: capping at 480p saves bits at equal QoE');
    expect(shown).toContain('scope: every new upload');
    expect(shown).toContain('guardrails: rebuffer_ratio (margin 10%)');
    expect(shown).toMatch(/control \(control\)\s+default@2\s+50%\s+0-5000/);
    expect(shown).toMatch(/capped\s+capped-480@1\s+50%\s+5000-10000/);
    expect(await runExperimentsCommand(['list', '--status', 'running'], deps)).toBe('no experiments');
  });

  it('starts it, shows results with no viewers yet, and stops it with a reason', async () => {
    expect(await runExperimentsCommand(['start', experimentId], deps)).toMatch(
      new RegExp(`^started experiment ${experimentId}: 0 video\\(s\\) in scope, 0 encode\\(s\\) queued`),
    );
    const results = await runExperimentsCommand(['results', experimentId], deps);
    expect(results).toContain(`experiment ${experimentId} (running), real viewers`);
    expect(results).toMatch(/\ncontrol \(control\)\s+50%\s+0\s+0\s+-/);
    expect(results).toMatch(/\ncapped\s+50%\s+0\s+0\s+-/);
    expect(results).toContain('sample ratio: no viewers yet');
    expect(
      await runExperimentsCommand(['results', experimentId, '--egress-usd-per-gb', '0.05'], deps),
    ).toContain('egress at $0.05/GB: control $0.00 (0 bit), capped $0.00 (0 bit)');
    // Starting twice is the API's 409, passed on with its code.
    const again = runExperimentsCommand(['start', experimentId], deps);
    await expect(again).rejects.toBeInstanceOf(ExperimentsApiError);
    await expect(again).rejects.toThrow(/answered 409 ERR_\w+/);
    expect(await runExperimentsCommand(['stop', experimentId, '--reason', 'budget cut'], deps)).toMatch(
      new RegExp(`^stopped experiment ${experimentId} at \\S+ \\(budget cut\\)$`),
    );
    expect(await runExperimentsCommand(['show', experimentId], deps)).toMatch(
      new RegExp(`^${experimentId}  stopped`),
    );
  });

  it('a definition the API refuses comes back with its code, and nothing is created', async () => {
    const bad = path.join(stack.dir, 'bad.json');
    const definition = JSON.parse(await readFile(definitionFile, 'utf8')) as {
      arms: { trafficPercent: number }[];
    };
    definition.arms[1]!.trafficPercent = 40;
    await writeFile(bad, JSON.stringify(definition));
    const before = await runExperimentsCommand(['list'], deps);
    await expect(runExperimentsCommand(['create', '--file', bad], deps)).rejects.toThrow(
      /POST \/api\/v1\/experiments answered 4\d\d ERR_\w+: .*100/,
    );
    expect(await runExperimentsCommand(['list'], deps)).toBe(before);
  });

  it('a wrong key or an absent stack is an API error that says so', async () => {
    await expect(
      runExperimentsCommand(['list', '--key', 'not-a-key-0123456789abcdef'], deps),
    ).rejects.toThrow(/answered 401/);
    await expect(runExperimentsCommand(['list', '--target', 'http://127.0.0.1:9'], deps)).rejects.toThrow(
      /unreachable .*is it running\? \(--target\)/,
    );
  });

  it.each([
    [[], /no command given/],
    [['rotate'], /unknown command rotate/],
    [['show'], /show needs the experiment id/],
    [['start', 'a', 'b'], /takes one experiment id, got b too/],
    [['create'], /create needs --file experiment\.json/],
    [['create', '--file', '/nonexistent/experiment.json'], /cannot read --file/],
    [['list', '--status', 'paused'], /--status must be one of draft, running, stopped, concluded/],
    [['results', 'x', '--synthetic', 'fake'], /--synthetic must be one of real, synthetic, all/],
    [['results', 'x', '--egress-usd-per-gb', 'cheap'], /--egress-usd-per-gb must be a price from 0 to 10/],
    [['list', '--target', 'ftp://host'], /--target must be the stack's http\(s\) URL/],
    [['list', '--colour'], /Unknown option '--colour'/],
  ])('%j is a usage error', async (argv, message) => {
    const outcome = runExperimentsCommand(argv, deps);
    await expect(outcome).rejects.toThrow(message);
    await expect(outcome).rejects.toBeInstanceOf(ExperimentsUsageError);
  });

  it('without a key it says where one comes from', async () => {
    const outcome = runExperimentsCommand(['list'], { ...deps, env: { STREAMLOOP_URL: stack.baseUrl } });
    await expect(outcome).rejects.toBeInstanceOf(ExperimentsUsageError);
    await expect(outcome).rejects.toThrow(
      /--key KEY or STREAMLOOP_API_KEY \(make one with `npm run keys -w stack -- create --scopes experiments,analytics-read`\)/,
    );
  });
});
