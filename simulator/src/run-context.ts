/** What a mode (fast, live) gets from the CLI or the stack's demo, and what it gives back. */
import type { LoadedAudience } from './audience-file.js';
import type { BeaconSink } from './collector-client.js';
import type { Progress } from './progress.js';
import type { Summary } from './summary.js';

/**
 * The run stops (exit 1) with one reason: too many collector failures in a row (collector-client),
 * or too many failed live sessions (live-mode). One class, so the CLI has one case for both modes.
 */
export class RunStoppedError extends Error {
  readonly code = 'ERR_RUN_STOPPED';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RunStoppedError';
  }
}

/** Live mode moves real segment bytes: it refuses a target that is not loopback (exit 2). */
export class LiveTargetError extends Error {
  readonly code = 'ERR_TARGET_NOT_LOOPBACK';
  constructor(target: string) {
    super(
      `--target ${target}: live mode only plays against a loopback address (127.0.0.0/8, ::1, localhost); pass --allow-remote to override`,
    );
    this.name = 'LiveTargetError';
  }
}

export interface RunOptions {
  /** Base URL of the stack: ladders come from it, beacons go to it unless `out` is set. */
  target: string;
  apiKey: string | undefined;
  seed: number;
  /** Catalog video ids `--video`; empty: audience titles are video ids. */
  videos: readonly string[];
  /** Fast mode: sessions end at times spread over this window, which ends now. */
  windowMs: number;
  /** Live mode: viewers playing at once. */
  concurrency: number | undefined;
  /** Live mode: allow a target that is not loopback (`--allow-remote`). */
  allowRemote: boolean;
}

export interface RunContext {
  options: RunOptions;
  loaded: LoadedAudience;
  /** The catalog video id an audience title plays. */
  videoOf(title: string): string;
  sink: BeaconSink;
  summary: Summary;
  progress: Progress;
  /** Call once per finished session (counts it and ticks the progress line). */
  sessionDone(): void;
  /** Call once per session the run could not play (counted as an error). */
  sessionFailed(reason: string): void;
  /** Sets the total shown on the progress line. */
  setTotal(sessions: number): void;
  /** One line on stderr. */
  log(line: string): void;
  signal: AbortSignal;
  fetch: typeof fetch;
}

export interface RunResult {
  sessions: number;
}

/** Title i plays `videos[i % videos.length]`; without `--video` a title is a video id. */
export function createVideoMap(
  titles: readonly string[],
  videos: readonly string[],
): (title: string) => string {
  if (videos.length === 0) return (title) => title;
  const index = new Map(titles.map((title, i) => [title, videos[i % videos.length] ?? title]));
  return (title) => index.get(title) ?? title;
}
