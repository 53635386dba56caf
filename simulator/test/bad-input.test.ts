/**
 * A malformed audience or trace file: one line `<file>: <field or line>: <what>` on stderr, exit 2,
 * and not one request to the target (a real local server records what it gets).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { audienceBuilder } from './audiences.js';
import { type RecordingServer, startRecordingServer } from './recording-server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulator-bad-input-'));
let server: RecordingServer;

beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(async () => {
  await server.close();
});

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const json = (value: unknown) => JSON.stringify(value, null, 2);

async function run(file: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await main([file, '--target', server.url, '--key', 'k'], {
    stderr: (text) => {
      stderr += text;
    },
    stdout: () => {},
  });
  return { code, stderr };
}

const trace = (cohortName: string, traces: string[]) =>
  audienceBuilder({ cohorts: [{ name: cohortName, network: { traces } }] });

describe('bad input stops the run before any request', () => {
  const cases: { name: string; file: () => string; line: (file: string) => string }[] = [
    {
      name: 'audience that is not JSON',
      file: () => write('broken.json', '{\n  "viewers": 10,\n  "titles": [\n'),
      line: (f) => `${f}: line 4: not JSON`,
    },
    {
      name: 'audience that is not YAML',
      file: () => write('broken.yaml', 'viewers: 10\ntitles: [a, b\ncohorts: x: y\n'),
      line: (f) => `${f}: line `,
    },
    {
      name: 'unknown network class',
      file: () => write('class.json', json(audienceBuilder({ cohorts: [{ network: { class: '5g' } }] }))),
      line: (f) => `${f}: /cohorts/0/network/class: unknown class "5g" (known: `,
    },
    {
      name: 'cohort shares that do not add up',
      file: () => write('shares.yaml', yamlOf(audienceBuilder({ cohorts: [{ share: 0.4 }] }))),
      line: (f) => `${f}: /cohorts: shares add up to 0.4, not 1`,
    },
    {
      name: 'a field of the wrong type',
      file: () => write('viewers.json', json({ ...audienceBuilder(), viewers: 'many' })),
      line: (f) => `${f}: /viewers: `,
    },
    {
      name: 'cohort name that cannot be written on a beacon',
      file: () => write('name.json', json(audienceBuilder({ cohorts: [{ name: '3g users' }] }))),
      line: (f) => `${f}: /cohorts/0/name: "3g users" must be 1-64 of A-Z a-z 0-9 _ . : -`,
    },
    {
      name: 'trace file missing',
      file: () => write('missing-trace.json', json(trace('walk', ['nowhere.csv']))),
      line: (f) =>
        `${f}: /cohorts/0/network/traces/0: cannot read trace file ${path.join(dir, 'nowhere.csv')} (ENOENT)`,
    },
    {
      name: 'CSV trace with a bad number',
      file: () => {
        write('bad.csv', 'seconds,kbps\n0,800\n1,fast\n');
        return write('csv-trace.json', json(trace('walk', ['bad.csv'])));
      },
      line: () =>
        `${path.relative(process.cwd(), path.join(dir, 'bad.csv'))}: line 3, kbps: not a number: "fast"`,
    },
    {
      name: 'Sabre trace with a missing field',
      file: () => {
        write(
          'bad-sabre.json',
          json([{ duration_ms: 1000, bandwidth_kbps: 900, latency_ms: 20 }, { duration_ms: 1000 }]),
        );
        return write('sabre-trace.yaml', yamlOf(trace('walk', ['bad-sabre.json'])));
      },
      line: () =>
        `${path.relative(process.cwd(), path.join(dir, 'bad-sabre.json'))}: entry 1, bandwidth_kbps: missing`,
    },
  ];

  it.each(cases)('$name', async ({ file, line }) => {
    const audienceFile = file();
    const { code, stderr } = await run(audienceFile);
    expect(code).toBe(2);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr.slice(0, line(audienceFile).length)).toBe(line(audienceFile));
    expect(server.requests).toEqual([]);
  });

  it('names a bad flag and exits 2', async () => {
    let stderr = '';
    const code = await main(
      [write('ok.json', json(audienceBuilder())), '--target', server.url, '--mode', 'slow'],
      {
        stderr: (text) => {
          stderr += text;
        },
      },
    );
    expect(code).toBe(2);
    expect(stderr).toContain('--mode must be fast or live, not "slow"');
    expect(server.requests).toEqual([]);
  });

  it('answers --help with the usage and where the docs are, exit 0, no request', async () => {
    let stdout = '';
    const code = await main(['--help'], {
      stdout: (text) => {
        stdout += text;
      },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: simulate <audience/);
    expect(stdout).toContain('docs/simulate.md');
    expect(server.requests).toEqual([]);
  });
});

/** Block-style YAML of a plain object (enough for these audiences). */
function yamlOf(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        const body = yamlOf(item, `${indent}  `);
        return typeof item === 'object' && item !== null
          ? `${indent}- ${body.trimStart()}`
          : `${indent}- ${body.trim()}\n`;
      })
      .join('');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, item]) =>
        typeof item === 'object' && item !== null
          ? `${indent}${key}:\n${yamlOf(item, `${indent}  `)}`
          : `${indent}${key}: ${JSON.stringify(item)}\n`,
      )
      .join('');
  }
  return `${JSON.stringify(value)}\n`;
}
