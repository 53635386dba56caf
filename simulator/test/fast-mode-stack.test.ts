/**
 * Fast mode against the real single-process stack: the ladder comes from what the stack published
 * (playback API, playlists, HEADs), the beacons of every simulated session go through the real
 * collector into analytics, and a re-run of the same seed is deduplicated there, not counted twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { audienceBuilder } from './audiences.js';
import { type StackWithVideo, startStackWithVideo } from './stack-fixture.js';

let stack: StackWithVideo;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulator-fast-'));
const audienceFile = path.join(dir, 'audience.yaml');
const VIEWERS = 12;

beforeAll(async () => {
  stack = await startStackWithVideo();
  const audience = audienceBuilder({
    viewers: VIEWERS,
    titles: ['clip'],
    cohorts: [
      { name: 'mobile-3g', share: 0.5, network: { class: '3g' } },
      { name: 'home-lte', share: 0.5, network: { class: 'lte' } },
    ],
  });
  fs.writeFileSync(audienceFile, JSON.stringify(audience));
});
afterAll(async () => {
  await stack?.stop();
});

async function run(extra: string[], seed = 11): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    [
      audienceFile,
      '--target',
      stack.base,
      '--key',
      stack.apiKey,
      '--video',
      stack.videoId,
      '--seed',
      String(seed),
      ...extra,
    ],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
  );
  return { code, stdout, stderr };
}

async function storedBeacons(sessionId: string): Promise<Beacon[] | undefined> {
  // Simulated sessions are outside the QoE API's default (real) scope: ask for them.
  const url = `${stack.base}/api/v1/qoe/sessions/${encodeURIComponent(sessionId)}/beacons?synthetic=synthetic`;
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  if (res.status === 404) return undefined;
  return ((await res.json()) as { beacons: Beacon[] }).beacons;
}

describe('fast mode against the stack', () => {
  it("sends every simulated session's beacons, accepted by the collector and stored once", async () => {
    const out = path.join(dir, 'beacons.ndjson');
    const file = await run(['--out', out]);
    expect(file.code).toBe(0);
    const written = fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Beacon);
    const sessions = [...new Set(written.map((b) => b.sessionId))];
    expect(sessions).toHaveLength(VIEWERS);

    const posted = await run([]);
    expect(posted.code).toBe(0);
    expect(posted.stdout).toContain(`${VIEWERS} sessions · ${written.length} beacons accepted · 0 refused`);
    expect(posted.stdout).toContain('SIMULATED (synthetic)');
    expect(posted.stdout).toMatch(/mobile-3g\s+3g\s+6\s/);
    expect(posted.stderr).toMatch(/simulate: 12\/12 sessions · beacons \d+ accepted, 0 refused · 0 errors/);

    // The same seed again: the same ids, which analytics keeps once. Then another seed, whose
    // sessions arriving in analytics means the re-run before it (same log, in order) was consumed.
    expect((await run([])).code).toBe(0);
    const later = path.join(dir, 'later.ndjson');
    expect((await run(['--out', later], 12)).code).toBe(0);
    expect((await run([], 12)).code).toBe(0);
    const marker = (JSON.parse(fs.readFileSync(later, 'utf8').split('\n')[0] ?? '{}') as Beacon).sessionId;
    await eventually(`session ${marker} in analytics`, () => storedBeacons(marker), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    for (const sessionId of sessions.slice(0, 3)) {
      const expected = written.filter((b) => b.sessionId === sessionId);
      const stored = await eventually(
        `session ${sessionId} in analytics`,
        async () => {
          const beacons = await storedBeacons(sessionId);
          return beacons && beacons.length >= expected.length ? beacons : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(stored.map((b) => b.beaconId).sort()).toEqual(expected.map((b) => b.beaconId).sort());
      expect(stored.every((b) => b.synthetic === true)).toBe(true);
      expect(stored[0]?.cohort).toBe(expected[0]?.cohort);
    }
  });
});
