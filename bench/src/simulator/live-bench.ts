/**
 * Live mode at the scale: 200 concurrent live viewers (five network classes, phones and
 * laptops, everyone watching the whole title) against the single-process stack on this machine,
 * playing the stack's own demo video. Reported side by side, over the same wall-clock window: the
 * simulator's CPU (process.cpuUsage of this process) and the stack's (utime + stime from
 * /proc/<pid>/stat), plus sessions, beacons and bytes done. The stack's demo audience (fast mode)
 * runs first; the bench waits for the stack to go quiet and records its idle CPU as a baseline.
 *
 *   npm run build && npm run bench:simulator-live -w bench    (needs ffmpeg; writes results/simulator-live.json)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '@streamloop/core/testing';
import { parseAudience } from '@streamloop/playback-model/audience';
import { createCollectorClient } from '@streamloop/simulator/collector-client';
import { runLiveAudience } from '@streamloop/simulator/live/live-audience';
import { liveSessions } from '@streamloop/simulator/live/live-mode';
import { startDemoStack } from '../demo-stack.js';

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 200);
const SEED = 20_261_206;
const API_KEY = 'bench-simulator-live-key-0123456789abcdef';
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU ms a process has used so far (user + system), from /proc. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state; utime is the 14th field.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

const device = (name: string, share: number, width: number, height: number) => ({
  name,
  share,
  viewport: { width, height },
});

function benchAudience(videoId: string) {
  const classes: [string, number][] = [
    ['3g', 0.2],
    ['lte', 0.3],
    ['fixed-fcc-2016', 0.15],
    ['wifi-oboe', 0.2],
    ['puffer-2022', 0.15],
  ];
  return parseAudience({
    viewers: VIEWERS,
    titles: [videoId],
    popularity: { zipfExponent: 1 },
    cohorts: classes.map(([networkClass, share]) => ({
      name: `bench-${networkClass}`,
      share,
      network: { class: networkClass },
      devices: [device('phone', 0.5, 390, 219), device('laptop', 0.5, 1280, 720)],
      sessionsPerViewer: { min: 1, max: 1 },
      watch: { completionShare: 1, abandonHazardPerMin: 0 },
    })),
  });
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0];
  const stack = await startDemoStack({ apiKey: API_KEY, name: 'bench-simulator-live' });
  const pid = stack.child.pid;
  if (pid === undefined) throw new Error('the stack has no pid');
  try {
    const videoId = await eventually(
      'the demo video id',
      () => /demo video \S+\/watch\/([A-Za-z0-9_-]+)/.exec(stack.output())?.[1],
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await eventually(
      'the demo video to be ready',
      async () => {
        const res = await fetch(`${stack.baseUrl}/api/v1/videos/${videoId}`, {
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        return ((await res.json()) as { status: string }).status === 'ready' ? true : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000 },
    );
    // The demo audience (fast mode) plays once the video is ready: wait until the stack is quiet.
    let idleCpuPercent = 100;
    for (let i = 0; i < 60 && idleCpuPercent > 5; i++) {
      const before = processCpuMs(pid);
      await sleep(5000);
      idleCpuPercent = ((processCpuMs(pid) - before) / 5000) * 100;
    }
    process.stdout.write(`stack idle at ${idleCpuPercent.toFixed(1)} % CPU; ${VIEWERS} live viewers start\n`);

    const sink = createCollectorClient({ target: stack.baseUrl });
    const loadAtStart = os.loadavg()[0];
    const wallStart = performance.now();
    const simStart = process.cpuUsage();
    const stackStart = processCpuMs(pid);
    let done = 0;
    const run = await runLiveAudience({
      target: stack.baseUrl,
      apiKey: API_KEY,
      sessions: liveSessions({ audience: benchAudience(videoId), traces: {} }, SEED, () => videoId),
      concurrency: VIEWERS,
      deliverUnload: (beacons) => sink.write(beacons),
      maxSessionMs: 300_000,
      onSessionDone() {
        if (++done % 20 === 0) process.stdout.write(`${done}/${VIEWERS} sessions\n`);
      },
    });
    await sink.close();
    const wallMs = performance.now() - wallStart;
    const sim = process.cpuUsage(simStart);
    const stackCpuMs = processCpuMs(pid) - stackStart;
    const simCpuMs = (sim.user + sim.system) / 1000;
    const loadAtEnd = os.loadavg()[0];

    const beaconsPosted = Object.values(run.posts.byStatus).reduce((sum, n) => sum + n, 0);
    const unload = sink.counts();
    const results = {
      benchmark: 'simulator-live',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      load1m: { beforeStack: loadBefore, atStart: loadAtStart, atEnd: loadAtEnd },
      setup: {
        viewers: VIEWERS,
        concurrency: VIEWERS,
        title: "the stack's demo video (its published HLS ladder), watched to the end by every viewer",
        classes: '3g 20 %, lte 30 %, fixed-fcc-2016 15 %, wifi-oboe 20 %, puffer-2022 15 %',
        stackIdleCpuPercentBefore: idleCpuPercent,
      },
      wallSeconds: wallMs / 1000,
      cpu: {
        simulatorMs: simCpuMs,
        stackMs: stackCpuMs,
        simulatorPercentOfOneCore: (simCpuMs / wallMs) * 100,
        stackPercentOfOneCore: (stackCpuMs / wallMs) * 100,
        simulatorToStackRatio: simCpuMs / stackCpuMs,
      },
      sessions: {
        done: run.results.length,
        byEndReason: countBy(run.results.map((r) => r.endReason)),
        failures: run.failures,
        stopReason: run.stopReason ?? null,
      },
      beacons: {
        made: run.results.reduce((sum, r) => sum + r.beaconsMade, 0),
        postedBySdkByStatus: run.posts.byStatus,
        sdkPosts: run.posts.requests,
        postedBySdk: beaconsPosted,
        unloadAccepted: unload.accepted,
        unloadRefused: unload.refused,
      },
      bytesDownloaded: run.results.reduce((sum, r) => sum + r.bytesDownloaded, 0),
      requests: run.results.reduce((sum, r) => sum + r.requestCount, 0),
    };
    await writeFile(
      new URL('../../results/simulator-live.json', import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    process.stdout.write(
      `${JSON.stringify({ wallSeconds: results.wallSeconds, cpu: results.cpu, sessions: results.sessions, beacons: results.beacons })}\n`,
    );
  } finally {
    await stack.stop();
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

await main();
