/**
 * Golden outcomes: 2,400 seeded sessions over every network class, a video-only ladder and ladders
 * with separate audio (its own loader, or carried on the video requests), several viewports, start
 * positions, watch limits and player options, each compared field by field (events included) with
 * what the model gave at commit 7d068d4. Speed work on the model must leave every outcome as it was;
 * a behaviour change regenerates the fixture on purpose:
 * `STREAMLOOP_WRITE_GOLDEN=1 npx vitest run test/player-model-golden.test.ts` (then `npx biome format --write`
 * the fixture), and says so in the commit.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBbaPolicy } from '../src/abr-bba.js';
import type { Ladder } from '../src/ladder.js';
import { NETWORK_CLASSES } from '../src/network-classes.js';
import { type SessionInput, type SessionOutcome, simulateSession } from '../src/player-model.js';
import { createRandom } from '../src/random.js';
import { generateSyntheticTrace } from '../src/synthetic-trace.js';
import { RUNGS } from './ladder-builder.js';

const FIXTURE = new URL('./fixtures/player-model-golden.json', import.meta.url);
const SESSIONS = 2400;
// Sessions kept whole in the fixture, so a mismatch there shows the differing field.
const FULL_EVERY = 300;

// The bench's ladder: 150 segments of 4 s, sizes ±20 % so the estimator sees variety.
const benchRungs = (initBytes?: number) =>
  RUNGS.map((rung) => ({
    bandwidth: rung.bandwidth,
    width: rung.width,
    height: rung.height,
    ...(initBytes === undefined ? {} : { initBytes }),
    segments: Array.from({ length: 150 }, (_, i) => ({
      durationSec: 4,
      bytes: Math.round(rung.bytes * (0.8 + (0.4 * ((i * 7919) % 101)) / 100)),
    })),
  }));
const audioTrack = (durationsSec: number[], initBytes?: number) => ({
  ...(initBytes === undefined ? {} : { initBytes }),
  // AAC segments a few ms off the video's, 128 kbit/s give or take.
  segments: durationsSec.map((durationSec, i) => ({
    durationSec: durationSec + (i % 2 === 0 ? 0.021 : -0.021),
    bytes: Math.round(durationSec * 16_000) - 2000 + ((i * 131) % 5) * 1000,
  })),
});
const SHORT_DURATIONS = Array.from({ length: 20 }, (_, i) => (i === 19 ? 2.5 : 6));
const LONG_DURATIONS = Array.from({ length: 150 }, () => 4);
const LADDERS: { name: string; ladder: Ladder }[] = [
  { name: 'video-only', ladder: { rungs: benchRungs() } },
  { name: 'separate-audio', ladder: { rungs: benchRungs(), audio: audioTrack(LONG_DURATIONS) } },
  {
    name: 'separate-audio-init',
    ladder: { rungs: benchRungs(1200), audio: audioTrack(LONG_DURATIONS, 700) },
  },
  {
    name: 'short-audio',
    ladder: {
      rungs: RUNGS.map((rung) => ({
        bandwidth: rung.bandwidth,
        width: rung.width,
        height: rung.height,
        initBytes: 900,
        segments: SHORT_DURATIONS.map((durationSec) => ({ durationSec, bytes: rung.bytes * 1.5 })),
      })),
      audio: audioTrack(SHORT_DURATIONS, 600),
    },
  },
];
const VIEWPORTS = [
  { width: 640, height: 360 },
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
  { width: 390, height: 844 },
];

interface GoldenCase {
  name: string;
  input: SessionInput;
}

function goldenCases(): GoldenCase[] {
  const random = createRandom('player-model-golden');
  const traces = Array.from({ length: 200 }, (_, i) => {
    const networkClass = NETWORK_CLASSES[i % NETWORK_CLASSES.length];
    if (!networkClass) throw new Error('no network class');
    return {
      id: networkClass.id,
      trace: generateSyntheticTrace(networkClass, { seed: i, durationSec: 600 }),
    };
  });
  return Array.from({ length: SESSIONS }, (_, s): GoldenCase => {
    const { id, trace } = traces[s % traces.length] ?? traces[0]!;
    // Half the sessions on the ladders with separate audio, the rest spread over the others.
    const ladderIndex = s % 2 === 1 ? 1 : [0, 2, 3, 0][(s >> 1) % 4]!;
    const { name: ladderName, ladder } = LADDERS[ladderIndex]!;
    const durationSec = ladderIndex === 3 ? 116.5 : 600;
    const input: SessionInput = {
      ladder,
      trace,
      viewport: VIEWPORTS[random.int(VIEWPORTS.length)]!,
      watch: {
        ...(random.next() < 0.4 ? { playSec: random.next() * durationSec } : {}),
        ...(random.next() < 0.3 ? { abandonStartupAfterMs: 2000 + random.int(8000) } : {}),
        ...(random.next() < 0.3 ? { abandonStallAfterMs: 1000 + random.int(10_000) } : {}),
      },
    };
    if (random.next() < 0.2) input.startPositionSec = random.next() * (durationSec - 1);
    if (random.next() < 0.15) input.policy = createBbaPolicy();
    if (random.next() < 0.3) input.appendMs = random.int(40);
    if (random.next() < 0.4) input.appendMsPerMegabyte = random.next() * 30;
    if (random.next() < 0.4) input.setupMs = random.int(300);
    if (random.next() < 0.5) input.playlistRequests = true;
    if (random.next() < 0.3)
      input.networkInformation =
        random.next() < 0.5 ? {} : { downlinkMultiplier: 0.85 + random.next() * 0.25 };
    if (ladderIndex !== 0 && random.next() < 0.15) input.audioLoader = false;
    return { name: `session ${s} (${id}, ${ladderName})`, input };
  });
}

// JSON keeps every number exactly; undefined is spelled out so a field that goes missing differs.
const canonical = (outcome: SessionOutcome): string =>
  JSON.stringify(outcome, (_key, value: unknown) => (value === undefined ? '<undefined>' : value));
const digest = (outcome: SessionOutcome): string =>
  createHash('sha256').update(canonical(outcome)).digest('hex').slice(0, 16);

interface Fixture {
  sessions: number;
  digests: string[];
  full: Record<string, unknown>;
}

describe('player model golden outcomes', () => {
  it('gives every seeded session exactly the outcome it gave at 7d068d4', () => {
    const cases = goldenCases();
    const outcomes = cases.map(({ input }) => simulateSession(input));
    const digests = outcomes.map(digest);
    const full = Object.fromEntries(
      outcomes.flatMap((outcome, s) =>
        s % FULL_EVERY === 0 ? [[String(s), JSON.parse(canonical(outcome))]] : [],
      ),
    );
    if (process.env.STREAMLOOP_WRITE_GOLDEN === '1') {
      const fixture: Fixture = { sessions: SESSIONS, digests, full };
      writeFileSync(FIXTURE, `${JSON.stringify(fixture)}\n`);
    }
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
    expect(fixture.sessions).toBe(SESSIONS);
    for (const [s, outcome] of Object.entries(fixture.full)) {
      expect(JSON.parse(canonical(outcomes[Number(s)]!)), cases[Number(s)]?.name).toEqual(outcome);
    }
    const changed = cases.flatMap(({ name }, s) => (digests[s] === fixture.digests[s] ? [] : [name]));
    expect(changed, `${changed.length} sessions changed`).toEqual([]);
    // The fixture covers what it claims to: stalls, aborts, abandons, switches of every reason.
    const reasons = new Set(outcomes.map((outcome) => outcome.endReason));
    expect([...reasons].sort()).toEqual(['abandoned-stall', 'abandoned-startup', 'ended', 'watched']);
    const switchReasons = new Set(
      outcomes.flatMap((outcome) =>
        outcome.events.flatMap((event) => (event.type === 'renditionchange' ? [event.switchReason] : [])),
      ),
    );
    expect([...switchReasons].sort()).toEqual(['abr', 'bandwidthupdate', 'exclude', 'initial']);
  });
});
