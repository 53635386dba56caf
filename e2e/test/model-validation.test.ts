/**
 * Issue 11: the playback model against the real player. One generated 75 s 1280x720 clip, uploaded
 * to the single-process stack and transcoded once with its default ladder; each trace under
 * test/traces/ is played into the stack's own /watch page in Debian's Chromium (through the shaping
 * proxy, see trace-replay.ts) and into `simulateSession` with the ladder the stack published
 * (`ladderFromHls`: real playlists and segment sizes), the same trace, the player's size and the
 * same watch time. Startup, stall count and time, and each rung's share of played time must agree
 * within the issue's tolerances (model-validation-compare.ts); the table of differences is printed
 * and written to artifacts/model-validation.md.
 *
 * The player's numbers are its SDK's beacons as they reached analytics. The model is given what
 * the browser, not the network, decides: the player's CSS size, Chromium's downlink noise, and the
 * time the page spent before its first segment request beyond the network's round trips (CPU).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulateSession } from '@streamloop/playback-model/player-model';
import type { Ladder } from '@streamloop/playback-model/ladder';
import { parseSabreTrace } from '@streamloop/playback-model/trace';
import { startProcess } from '@streamloop/service-kit/child-process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { generateClip } from './media.js';
import { compareToModel, formatComparisons, type TraceComparison } from './model-validation-compare.js';
import { entryOf, processEnv, SHARED_SECRETS } from './processes.js';
import { publishedLadder } from './published-ladder.js';
import { type ShapingProxy, startShapingProxy } from './shaping-proxy.js';
import { replayTrace } from './trace-replay.js';
import { tusUpload, waitUntilReady } from './upload.js';

const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
const ARTIFACTS = path.resolve('artifacts');
const TRACES = path.resolve('test/traces');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-model-validation-'));
const clip = path.join(workDir, 'clip-720p-75s.mp4');

/**
 * Step changes at known times, and 3G-class traces (the model's own `3g` class, 1 s steps with
 * outages; test/traces/README.md says how they were made). Each plays 40 s: long enough to outlast
 * the buffer VHS builds in the first seconds, short enough that five fit in about six minutes.
 * step-down plays 60 s: whether VHS takes 720p back at 12.8 s or one segment later is decided by
 * 10-15 ms in the player itself (run to run), and one 6 s segment must stay under the 15-point
 * rung tolerance (10 points of 60 s, 15 of 40).
 *
 * Not here: 3g-seed-35, whose player is bimodal: an outage 3 s in, and whether the first audio
 * segment is still in flight (fetched again at once: ~2.2 s startup) or already downloaded (held,
 * dropped, fetched again after the first video append, through the outage: ~9.5 s) when VHS
 * early-aborts the first video segment at ~1.4 s is a ~30 ms race. Run it with
 * STREAMLOOP_VALIDATION_TRACES=3g-seed-35.
 */
const CASES = [
  { trace: 'step-down', playSec: 60, about: '5 Mbit/s, then 600 kbit/s from 20 s: down-switch' },
  { trace: 'step-up', playSec: 40, about: '450 kbit/s, then 6 Mbit/s from 15 s: up-switch' },
  {
    trace: 'drop-and-recover',
    playSec: 40,
    about: '2.5 Mbit/s, 60 kbit/s for 30 s from 12 s, 2.5 Mbit/s: stall',
  },
  { trace: '3g-seed-29', playSec: 40, about: '3G class, seed 29: outage stall' },
  {
    trace: '3g-seed-80',
    playSec: 40,
    about: '3G class, seed 80: up-switch, two early aborts, a short stall',
  },
];

/**
 * `STREAMLOOP_VALIDATION_TRACES=3g-seed-35,3g-seed-35`: only these traces of test/traces (repeats
 * allowed; 40 s each unless the case above says otherwise), to study one.
 */
const only = process.env.STREAMLOOP_VALIDATION_TRACES?.split(',').filter((name) => name !== '');
const RUN = only
  ? only.map((name, run) => {
      if (!fs.existsSync(path.join(TRACES, `${name}.json`)))
        throw new Error(`STREAMLOOP_VALIDATION_TRACES names '${name}': no test/traces/${name}.json`);
      const known = CASES.find((c) => c.trace === name);
      return {
        ...(known ?? { trace: name, playSec: 40, about: 'named in STREAMLOOP_VALIDATION_TRACES' }),
        run,
      };
    })
  : CASES;

let stack: { baseUrl: string; stop(): Promise<unknown> };
let browser: Browser;
let proxy: ShapingProxy;
let videoId: string;
let ladder: Ladder;
const comparisons: TraceComparison[] = [];
const notes: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  [stack] = await Promise.all([
    startProcess(entryOf('stack'), processEnv({ ...SHARED_SECRETS, STREAMLOOP_DEMO: '0' })),
    generateClip(clip, { seconds: 75, width: 1280, height: 720, bitrate: '3M' }),
  ]);
  const upload = await tusUpload(clip, {
    endpoint: `${stack.baseUrl}/uploads/`,
    apiKey,
    chunks: 1,
    title: 'model validation',
  });
  videoId = upload.videoId;
  await waitUntilReady(stack.baseUrl, apiKey, videoId, 540_000);
  ladder = await publishedLadder(stack.baseUrl, videoId);
  proxy = await startShapingProxy(stack.baseUrl);
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  if (comparisons.length > 0) {
    const table = formatComparisons(ladder, comparisons);
    const report = `# Playback model vs VHS in Chromium (synthetic traces; seconds played per trace in the notes)\n\n${table}\n\n${notes.join('\n')}\n`;
    fs.writeFileSync(path.join(ARTIFACTS, 'model-validation.md'), report);
    console.log(`\n${report}`);
  }
  await browser?.close();
  await proxy?.close();
  await stack?.stop();
});

describe('playback model against video.js VHS on the watch page', () => {
  it.each(RUN)(
    '$trace ($about): startup, stalls and rung shares within tolerance',
    async (testCase) => {
      const { trace: name, playSec } = testCase;
      const file = 'run' in testCase ? `${name}-run${testCase.run}` : name;
      const trace = parseSabreTrace(fs.readFileSync(path.join(TRACES, `${name}.json`), 'utf8'));
      const real = await replayTrace(browser, {
        base: stack.baseUrl,
        proxy,
        apiKey,
        videoId,
        trace,
        playSec,
        maxWallMs: 120_000,
      });
      const model = simulateSession({
        ladder,
        trace,
        viewport: { width: real.playerWidth, height: real.playerHeight },
        watch: { playSec },
        playlistRequests: true,
        networkInformation: { downlinkMultiplier: real.downlinkMultiplier },
        // Everything before the first segment request beyond the two round trips the model pays
        // (master, media playlist): parsing and MediaSource set-up, and the origin signing and
        // rewriting playlists, on this machine's CPU.
        setupMs: Math.max(0, (real.firstSegmentAtMs ?? 0) - 2 * (trace.pieces[0]?.latencyMs ?? 0)),
        // The append time that grows with the segment. Not the fixed part of the gap (XHR events, the
        // loader's turn): VHS does not time that for its `throughput`, which would then cap choices.
        appendMsPerMegabyte: real.appendMsPerMegabyte,
      });
      const comparison = compareToModel(name, ladder, real, model);
      // Everything behind the row, for reading a difference: requests, VHS samples, both timelines,
      // and the ladder, so the model side can be re-run offline.
      const { beacons, playTimeMsByHeight, ...detail } = real;
      fs.writeFileSync(
        path.join(ARTIFACTS, `model-validation-${file}.json`),
        JSON.stringify(
          { player: { ...detail, playTimeMsByHeight: [...playTimeMsByHeight] }, model, ladder },
          null,
          1,
        ),
      );
      comparisons.push(comparison);
      const switches = (list: { height: number; reason: string | undefined; atMs: number }[]) =>
        list.map((s) => `${s.height}p ${s.reason ?? '?'} @${(s.atMs / 1000).toFixed(1)}s`).join(', ');
      notes.push(
        `- ${name}: ${playSec} s played, player ${real.playerWidth}×${real.playerHeight}, downlink × ${real.downlinkMultiplier.toFixed(3)}, ` +
          `first segment request @${Math.round(real.firstSegmentAtMs ?? 0)} ms (master → media playlist ${real.setupMs} ms), append gap ${real.appendMs} ms (${real.appendMsPerMegabyte} ms/MB on large segments), SDK startup ${real.startupTimeMs} ms, ` +
          `SDK rebuffer ${real.sdkRebufferDurationMs} ms; switches player: ${switches(real.switches)}; ` +
          `model: ${switches(
            model.events.flatMap((e) =>
              e.type === 'renditionchange'
                ? [{ height: e.height, reason: e.switchReason, atMs: e.atMs }]
                : [],
            ),
          )}${comparison.failures.length > 0 ? `; OUT OF TOLERANCE: ${comparison.failures.join('; ')}` : ''}`,
      );
      expect(comparison.failures).toEqual([]);
    },
    180_000,
  );
});
