/**
 * The demo's audience: once the demo video is ready, a small seeded fast-mode audience (one cohort
 * per network class, a few hundred sessions) plays it against this very stack, so the dashboards a
 * newcomer opens have something in them. Every beacon is synthetic — analytics shows it only under
 * the synthetic filter. Same seed, audience and video on every start → the same beacon ids, which
 * analytics deduplicates: restarting does not pile up sessions.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { type Audience, parseAudience } from '@streamloop/playback-model/audience';
import { simulate } from '@streamloop/simulator/simulate';

export const DEMO_AUDIENCE_SEED = 20_261_206;

const device = (name: string, share: number, width: number, height: number) => ({
  name,
  share,
  viewport: { width, height },
});
const phone = [device('phone', 0.8, 390, 219), device('tablet', 0.2, 820, 461)];
const desktop = [device('laptop', 0.6, 1280, 720), device('desktop', 0.4, 1920, 1080)];
const watch = { completionShare: 0.6, abandonHazardPerMin: 1.5, abandonStartupAfterMs: 12_000 };

/** A few hundred sessions over the five network classes (playback-model's table). */
export function demoAudience(videoId: string): Audience {
  const cohort = (name: string, networkClass: string, share: number, devices: typeof phone) => ({
    name,
    share,
    network: { class: networkClass },
    devices,
    sessionsPerViewer: { min: 1, max: 2 },
    watch,
  });
  return parseAudience({
    viewers: 200,
    titles: [videoId],
    popularity: { zipfExponent: 1 },
    cohorts: [
      cohort('mobile-3g', '3g', 0.15, phone),
      cohort('mobile-lte', 'lte', 0.25, phone),
      cohort('home-fixed', 'fixed-fcc-2016', 0.2, desktop),
      cohort('home-wifi', 'wifi-oboe', 0.25, desktop),
      cohort('streaming', 'puffer-2022', 0.15, desktop),
    ],
  });
}

export interface DemoAudienceDeps {
  catalog: Catalog;
  logger: Logger;
  baseUrl: () => string;
  /** Resolves once the stack takes requests. */
  listening: () => Promise<void>;
  apiKey: string;
  signal: AbortSignal;
}

/** Waits for the video to be ready (transcoding), then plays the audience on it. */
export async function playDemoAudience(videoId: string, deps: DemoAudienceDeps): Promise<void> {
  for (;;) {
    if (deps.signal.aborted) return;
    const video = await getVideo(deps.catalog, videoId);
    if (video?.status === 'ready') break;
    if (video === undefined || video.status === 'failed') return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  await deps.listening();
  if (deps.signal.aborted) return;
  const audience = demoAudience(videoId);
  const result = await simulate({
    loaded: { file: 'demo audience', audience, traces: {} },
    options: {
      target: deps.baseUrl(),
      apiKey: deps.apiKey,
      seed: DEMO_AUDIENCE_SEED,
      videos: [],
      windowMs: 3_600_000,
      concurrency: undefined,
      allowRemote: false,
    },
    mode: 'fast',
    signal: deps.signal,
    // Progress lines would clutter the stack's output; a failed session is worth a log line.
    log: (line) => {
      if (line.startsWith('simulate: session failed')) deps.logger.warn({ line }, 'demo audience');
    },
  });
  if (result.exitCode !== 0) {
    deps.logger.warn({ reason: result.stopReason, errors: result.errors }, 'demo audience not played');
    return;
  }
  process.stdout.write(
    `  demo audience: ${result.sessions} SIMULATED sessions (synthetic data, seed ${DEMO_AUDIENCE_SEED}) played on the demo video; ${result.counts.accepted} beacons — the dashboards show them with the synthetic filter on\n`,
  );
}

export function demoAudienceFailed(err: unknown): void {
  process.stderr.write(`streamloop: demo audience not played (${reasonOf(err)})\n`);
}
