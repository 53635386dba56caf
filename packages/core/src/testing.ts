/**
 * Helpers for integration tests. A test that needs a real service calls `requireService`: when the
 * service is not configured or not reachable the test fails loudly, naming the service and the
 * command that starts it. Nothing is ever skipped for a missing service.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import type { LogLevel } from './config.js';
import { reasonOf } from './errors.js';
import type { ExperimentArmResult, ExperimentResults } from './experiments.js';
import { createLogger, type Logger } from './logger.js';
import type { Beacon } from './schemas/beacon.js';
import type { LadderRecord, PackagedRendition } from './schemas/ladder.js';
import type { ContentProbe, ProbePoint } from './schemas/ladder-plan.js';
import type { QoeRendition } from './schemas/qoe-api.js';

/** A loopback port free right now, for a process a test starts itself (a private broker, a stub). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const START_SERVICES_HINT = 'start it with `npm run infra:up` (npm test does this for you)';

export function requireService<T>(service: string, variable: string, value: T | undefined): T {
  if (value === undefined) {
    throw new Error(`${service} is required by this test but ${variable} is not set; ${START_SERVICES_HINT}`);
  }
  return value;
}

/** Runs `probe`; on failure throws an error naming the service, where it was looked for and the fix. */
export async function assertReachable(
  service: string,
  address: string,
  probe: () => Promise<unknown>,
): Promise<void> {
  try {
    await probe();
  } catch (err) {
    throw new Error(`${service} at ${address} is not reachable (${reasonOf(err)}); ${START_SERVICES_HINT}`);
  }
}

/** Polls `check` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${reasonOf(lastError)})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A name unique to this run, for topics, buckets, key prefixes and databases in tests. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Debian's Chromium: browser tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags every browser test launches Chromium with (FACTS.md): root needs --no-sandbox; without the
 * background-networking flags Chromium's calls home are refused by this machine's closed network.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** The value of one sample of a metric (a counter or gauge) in a registry; 0 when it has none yet. */
export async function metricValue(
  registry: {
    getSingleMetric(
      name: string,
    ): { get(): Promise<{ values: { value: number; labels: object }[] }> } | undefined;
  },
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((v) =>
    Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value),
  );
  return sample?.value ?? 0;
}

/** The client clock every `makeBeacon` beacon carries unless a test sets its own. */
export const BEACON_CLIENT_TIME_MS = 1_760_000_000_000;

let beaconCount = 0;

/**
 * A valid `qoe.beacon.v1` heartbeat with a fresh `beaconId`; a test overrides only the fields it is
 * about. Typed by core's schema, so a new required field breaks every suite's builder in one place.
 */
export function makeBeacon(overrides: Partial<Beacon> = {}): Beacon {
  beaconCount += 1;
  return {
    schema: 'qoe.beacon.v1',
    beaconId: `beacon-${beaconCount}-${Math.random().toString(36).slice(2, 10)}`,
    event: 'heartbeat',
    sessionId: 'session-1',
    viewId: 'view-1',
    viewerId: 'viewer-1',
    videoId: 'video-1',
    seq: 0,
    clientTimeMs: BEACON_CLIENT_TIME_MS,
    monotonicMs: 1234.5,
    ...overrides,
  };
}

/** A logger whose lines (JSON text) land in an array, so a test can assert what was logged, or that nothing was. */
export function createCapturingLogger(level: LogLevel = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level, destination }) };
}

/**
 * Resolves once a video of the stack at `base` is `ready`; fails at once with the transcoder's
 * error when it failed. `timeoutMs` for long clips on a busy machine (a 75 s 720p ladder took over
 * 4 minutes at load 22).
 */
export async function waitUntilVideoReady(
  base: string,
  apiKey: string,
  videoId: string,
  timeoutMs = 240_000,
): Promise<void> {
  await eventually(
    `video ${videoId} to be ready`,
    async () => {
      const res = await fetch(`${base}/api/v1/videos/${videoId}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const video = (await res.json()) as { status: string; error: string | null };
      if (video.status === 'failed') throw new Error(`transcode failed: ${video.error}`);
      return video.status === 'ready' ? video : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** A 360p H.264 rendition as transcode publishes one, in `folder` (the ladder's id). */
export function makePackagedRendition(
  overrides: Partial<PackagedRendition> = {},
  folder = 'default',
): PackagedRendition {
  const name = overrides.name ?? '360p';
  return {
    name,
    codec: 'h264',
    profile: 'main',
    videoBitrateKbps: 800,
    maxrateKbps: 856,
    bufsizeKbps: 1200,
    width: 640,
    height: 360,
    shortSide: 360,
    codecs: 'avc1.4d401e',
    peakBitrate: 900_000,
    averageBitrate: 780_000,
    playlist: `${folder}/${name}/index.m3u8`,
    iframePlaylist: `${folder}/${name}/iframes.m3u8`,
    ...overrides,
  };
}

/**
 * A ladder record as transcode publishes one, for tests of what reads records (catalog, delivery,
 * ingest) without running an encode: paths in the folder of `overrides.ladderId` (`default`).
 */
export function makeLadderRecord(overrides: Partial<LadderRecord> = {}): LadderRecord {
  const folder = overrides.ladderId ?? 'default';
  return {
    ladderId: folder,
    ladderVersion: 2,
    master: `${folder}/master.m3u8`,
    dash: `${folder}/manifest.mpd`,
    poster: `${folder}/poster.jpg`,
    storyboard: `${folder}/storyboard.vtt`,
    thumbnails: { intervalSec: 2, count: 3, pattern: `${folder}/thumbs/t_%05d.jpg` },
    frameRate: 30,
    renditions: [makePackagedRendition({}, folder)],
    audio: {
      codecs: 'mp4a.40.2',
      peakBitrate: 99_000,
      averageBitrate: 96_000,
      playlist: `${folder}/audio/index.m3u8`,
    },
    ...overrides,
  };
}

/**
 * One rung of the QoE API's renditions (an arm's rung share) with its viewers' QoE unknown, for tests
 * of what shows rung shares: name the numbers the test is about in `overrides`.
 */
export function makeQoeRendition(
  overrides: Partial<QoeRendition> & Pick<QoeRendition, 'height' | 'bitrateKbps'>,
): QoeRendition {
  return {
    rendition: `${overrides.height}p@${overrides.bitrateKbps}kbps`,
    views: 0,
    viewers: 0,
    playTimeMs: 0,
    playTimePercent: 0,
    upscaleTimeMs: 0,
    upscalePercent: null,
    rebufferRatio: null,
    playbackFailurePercent: null,
    startupTimeMsP50: null,
    qoeScore: null,
    ...overrides,
  };
}

/**
 * One arm of experiment results with nothing measured yet, for tests of what shows results (the
 * dashboards page, the CLI table): name the numbers the test is about in `overrides`.
 */
export function makeArmResult(
  overrides: Partial<ExperimentArmResult> & Pick<ExperimentArmResult, 'name'>,
): ExperimentArmResult {
  return {
    control: false,
    trafficPercent: 50,
    stopped: null,
    views: 0,
    syntheticViews: 0,
    viewers: 0,
    metrics: {},
    bitsDelivered: 0,
    egressCostUsd: 0,
    rungShare: [],
    storageBytes: null,
    storageCostUsdPerMonth: null,
    comparisons: [],
    guardrails: [],
    primaryMde: null,
    ...overrides,
  };
}

/** Experiment results with no look, no arm and no SRM check, for the same tests; `overrides` fills them. */
export function makeExperimentResults(overrides: Partial<ExperimentResults> = {}): ExperimentResults {
  return {
    experimentId: 'exp-test',
    status: 'running',
    primaryMetric: 'rebuffer_ratio',
    synthetic: 'real',
    from: null,
    to: null,
    lookStepHours: 1,
    alpha: 0.05,
    egressUsdPerGb: 0.02,
    storageUsdPerGbMonth: 0.023,
    storageVideos: 0,
    arms: [],
    sampleRatioMismatch: null,
    primaryTimeline: [],
    unknownArmViews: 0,
    guardrailsEnforced: true,
    armsStopped: [],
    ...overrides,
  };
}

const probePoint = (width: number, height: number, bitrateKbps: number, psnrDb: number): ProbePoint => ({
  width,
  height,
  bitrateKbps,
  psnrDb,
  ssim: 0.95,
});

/**
 * A low-complexity title's probe points, for tests of what reads plans (ingest's route, the
 * dashboards page). On log bitrate the upper hull is 360p@100 (38 dB) → 1080p@800 (46.5) →
 * 1080p@1600 (47): from 360p@100 the steepest climb per doubling is to 1080p@800 (8.5 dB over 3
 * doublings = 2.83, against 2.71 to 720p@600 and 2.25 to 1080p@1600), then 0.5 dB to 1600; 3200
 * adds nothing, so the hull ends at 1600.
 */
export const LOW_COMPLEXITY_PROBE_POINTS: readonly ProbePoint[] = [
  probePoint(640, 360, 100, 38),
  probePoint(640, 360, 200, 40),
  probePoint(640, 360, 400, 41),
  probePoint(1280, 720, 300, 42),
  probePoint(1280, 720, 600, 45),
  probePoint(1280, 720, 1200, 46),
  probePoint(1920, 1080, 800, 46.5),
  probePoint(1920, 1080, 1600, 47),
  probePoint(1920, 1080, 3200, 47),
];

/** A content probe as transcode stores one (LOW_COMPLEXITY_PROBE_POINTS unless overridden). */
export function makeContentProbe(videoId: string, overrides: Partial<ContentProbe> = {}): ContentProbe {
  return {
    version: 1,
    videoId,
    probedAt: '2026-12-07T12:00:00.000Z',
    source: { width: 1920, height: 1080, durationSec: 60 },
    settings: {
      samples: 4,
      sampleSec: 4,
      codec: 'h264',
      preset: 'veryfast',
      crfs: [20, 26, 32],
      display: { width: 1920, height: 1080 },
    },
    points: [...LOW_COMPLEXITY_PROBE_POINTS],
    cost: { cpuSeconds: 12.5, wallSeconds: 7 },
    ...overrides,
  };
}
