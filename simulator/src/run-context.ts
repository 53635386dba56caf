/** What a mode (fast, live) gets from the CLI or the stack's demo, and what it gives back. */
import type { LoadedAudience } from './audience-file.js';
import type { BeaconSink } from './collector-client.js';
import type { Progress } from './progress.js';
import type { Summary } from './summary.js';

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
