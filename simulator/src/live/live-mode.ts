/**
 * `simulate --mode live`: the audience's session plans played by live viewers against the stack
 * (live-audience.ts), each finished session added to the run's summary and progress. Beacons the
 * SDK hands to `sendBeacon` as a viewer leaves go through the run's sink (the collector client,
 * with its retries and failure counting), as a browser delivers them after the tab closed.
 */
import { planSessions, type SessionPlan, traceForPlan } from '@streamloop/playback-model/audience';
import { type LoadedAudience, networkClassOf } from '../audience-file.js';
import { type RunContext, type RunResult, RunStoppedError } from '../run-context.js';
import type { SessionRecord } from '../summary.js';
import { type LiveSessionSpec, runLiveAudience } from './live-audience.js';
import type { LiveSessionResult } from './live-viewer.js';

/** Viewers at once when the CLI does not say: the "hundreds from one process". */
export const DEFAULT_LIVE_CONCURRENCY = 200;
// Synthetic traces loop; ten minutes is longer than any one watch needs before it repeats.
const TRACE_SECONDS = 600;

/** What the run's summary counts of a finished live session. */
export function sessionRecordOf(result: LiveSessionResult): SessionRecord {
  return {
    cohort: result.cohort,
    networkClass: result.networkClass,
    startupTimeMs: result.startupTimeMs,
    watchTimeMs: result.watchTimeMs,
    playTimeMs: result.playTimeMs,
    rebufferDurationMs: result.rebufferDurationMs,
    meanBitrateKbps: result.meanBitrateKbps,
    bytesDownloaded: result.bytesDownloaded,
  };
}

/** The audience's session plans as live sessions, drawn lazily (a trace is made when a viewer starts). */
export function* liveSessions(
  loaded: Pick<LoadedAudience, 'audience' | 'traces'>,
  seed: number,
  videoOf: (title: string) => string,
): Generator<LiveSessionSpec> {
  for (const plan of planSessions(loaded.audience, seed) as Iterable<SessionPlan>) {
    yield {
      plan,
      trace: traceForPlan(plan, loaded.traces, TRACE_SECONDS),
      networkClass: networkClassOf(plan),
      videoId: videoOf(plan.titleId),
    };
  }
}

export async function runLiveMode(context: RunContext): Promise<RunResult> {
  const { options, loaded } = context;
  let total = 0;
  for (const _plan of planSessions(loaded.audience, options.seed)) total++;
  context.setTotal(total);
  let sessions = 0;
  const result = await runLiveAudience({
    target: options.target,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    // `--allow-remote` (RunOptions.allowRemote) once the CLI has it; loopback only until then.
    allowRemote: (options as { allowRemote?: boolean }).allowRemote === true,
    sessions: liveSessions(loaded, options.seed, context.videoOf),
    concurrency: Math.min(options.concurrency ?? DEFAULT_LIVE_CONCURRENCY, Math.max(1, total)),
    deliverUnload: (beacons) => context.sink.write(beacons),
    signal: context.signal,
    onSessionDone(session) {
      sessions++;
      if (session.endReason === 'failed') {
        context.sessionFailed(`${session.viewerId}: ${session.failure ?? 'failed'}`);
        return;
      }
      context.summary.add(sessionRecordOf(session));
      context.sessionDone();
    },
  });
  // The SDK posts most beacons itself (the sink above only sees what it hands to sendBeacon).
  const posted = Object.entries(result.posts.byStatus)
    .map(([status, beacons]) => `${status}: ${beacons}`)
    .join(', ');
  context.log(
    `simulate: live viewers' SDKs posted ${result.posts.requests} batches themselves (beacons by answer: ${posted || 'none'})`,
  );
  if (result.stopReason) throw new RunStoppedError(result.stopReason);
  return { sessions };
}
