/**
 * One simulation run, for the CLI and for the stack's demo audience: a sink (collector or file),
 * progress, the summary, and the mode. Resolves with exit code 1 and a one-line reason when the
 * target refused (collector failures in a row, or the playback API), 0 otherwise.
 */
import type { LoadedAudience } from './audience-file.js';
import { type BeaconSink, type CollectorCounts, createCollectorClient } from './collector-client.js';
import { runFastMode } from './fast-mode.js';
import { createNdjsonSink } from './ndjson-sink.js';
import { PlaybackError } from './playback-source.js';
import { createProgress } from './progress.js';
import {
  createVideoMap,
  LiveTargetError,
  type RunContext,
  type RunOptions,
  type RunResult,
  RunStoppedError,
} from './run-context.js';
import { createSummary, type Summary } from './summary.js';

export type Mode = 'fast' | 'live';

export interface SimulateInput {
  loaded: LoadedAudience;
  options: RunOptions;
  mode: Mode;
  /** Write NDJSON here instead of posting to the collector. */
  out?: string | undefined;
  /** Progress lines and reasons (stderr for the CLI). */
  log(line: string): void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  progressIntervalMs?: number;
}

export interface SimulateResult {
  /** 0 done; 1 the target refused or the run stopped; 2 a target live mode may not use. */
  exitCode: 0 | 1 | 2;
  sessions: number;
  errors: number;
  counts: CollectorCounts;
  summary: Summary;
  /** Why the run stopped early, when it did. */
  stopReason: string | undefined;
}

export async function simulate(input: SimulateInput): Promise<SimulateResult> {
  const doFetch = input.fetch ?? fetch;
  const sink: BeaconSink = input.out
    ? createNdjsonSink(input.out)
    : createCollectorClient({
        target: input.options.target,
        fetch: doFetch,
        ...(input.signal ? { signal: input.signal } : {}),
      });
  const summary = createSummary();
  let total = 0;
  let done = 0;
  let errors = 0;
  const progress = createProgress({
    counts: () => {
      const c = sink.counts();
      return {
        sessionsDone: done,
        sessionsTotal: total,
        beaconsAccepted: c.accepted,
        beaconsRefused: c.refused,
        errors: errors + Object.values(c.failures).reduce((sum, n) => sum + n, 0),
      };
    },
    write: input.log,
    ...(input.progressIntervalMs === undefined ? {} : { intervalMs: input.progressIntervalMs }),
  });
  const context: RunContext = {
    options: input.options,
    loaded: input.loaded,
    videoOf: createVideoMap(input.loaded.audience.titles, input.options.videos),
    sink,
    summary,
    progress,
    sessionDone() {
      done++;
      progress.tick();
    },
    sessionFailed(reason) {
      errors++;
      input.log(`simulate: session failed: ${reason}`);
      progress.tick();
    },
    setTotal(sessions) {
      total = sessions;
    },
    log: input.log,
    signal: input.signal ?? new AbortController().signal,
    fetch: doFetch,
  };

  let result: RunResult = { sessions: 0 };
  let stopReason: string | undefined;
  let badTarget = false;
  try {
    result = input.mode === 'live' ? await runLive(context) : await runFastMode(context);
  } catch (error) {
    if (error instanceof RunStoppedError) stopReason = error.reason;
    else if (error instanceof PlaybackError) stopReason = error.message;
    else if (error instanceof LiveTargetError) {
      stopReason = error.message;
      badTarget = true;
    } else throw error;
  }
  await sink.close();
  stopReason ??= sink.stopReason();
  if (stopReason === undefined && errors > 0 && result.sessions === 0) {
    stopReason = `every one of the ${errors} sessions failed (the first reason is above)`;
  }
  progress.done();
  const counts = sink.counts();
  const exitCode = badTarget ? 2 : stopReason ? 1 : 0;
  return { exitCode, sessions: result.sessions, errors, counts, summary, stopReason };
}

/** Live mode (./live) is loaded only when asked for: fast mode and the stack's demo never need it. */
async function runLive(context: RunContext): Promise<RunResult> {
  const { runLiveMode } = await import('./live/live-mode.js');
  return runLiveMode(context);
}
