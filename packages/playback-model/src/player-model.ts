/**
 * One playback session on a virtual clock: the segment loader fetches one segment at a time over
 * the trace (request latency, then bytes at the trace's rate), idles while the forward buffer is
 * at the policy's goal (re-checking every 500 ms like VHS' monitorBuffer_), the ABR policy is asked
 * after every appended segment, and playback starts on the first appended segment, stalls when the
 * buffer runs dry and resumes when the next segment lands. No timers and no I/O: a 10-minute
 * session costs a few hundred loop turns.
 *
 * The outcome uses the SDK's names (player-sdk/src/stats.ts and its controllers' events) so a
 * model run and a real one can be compared field by field.
 */
import type { AbrPolicy, Viewport } from './abr-policy.js';
import { createVhsPolicy } from './abr-vhs.js';
import { createVhsBandwidthEstimator } from './bandwidth-estimator.js';
import { createPlaybackBuffer } from './buffer.js';
import { checkLadder, type Ladder, ModelInputError } from './ladder.js';
import type { NetworkTrace } from './trace.js';
import { createTraceClock } from './trace-clock.js';

export interface WatchBehaviour {
  /** Seconds of playback the viewer intends to watch; absent: to the end. */
  playSec?: number;
  /** Leaves if the first frame has not appeared after this long. */
  abandonStartupAfterMs?: number;
  /** Leaves if one stall lasts this long. */
  abandonStallAfterMs?: number;
}

export interface SessionInput {
  ladder: Ladder;
  trace: NetworkTrace;
  viewport: Viewport;
  watch: WatchBehaviour;
  startPositionSec?: number;
  /** Defaults to VHS. */
  policy?: AbrPolicy;
  /** Decrypt/transmux/append time per segment, feeding VHS' `throughput` (default 0). */
  appendMs?: number;
  /** Skip the ladder check when the caller runs many sessions over one checked ladder. */
  ladderChecked?: boolean;
}

export type EndReason = 'watched' | 'ended' | 'abandoned-startup' | 'abandoned-stall';

export type TimelineEvent =
  | { type: 'playrequest'; atMs: number }
  | { type: 'firstframe'; atMs: number; startupTimeMs: number }
  | { type: 'rebufferstart'; atMs: number }
  | { type: 'rebufferend'; atMs: number; rebufferDurationMs: number }
  | {
      type: 'renditionchange';
      atMs: number;
      rung: number;
      bitrateKbps: number;
      width: number;
      height: number;
      fromBitrateKbps: number | undefined;
      switchReason: 'initial' | 'abr';
    }
  | { type: 'viewend'; atMs: number; endReason: EndReason };

export interface SessionOutcome {
  policy: string;
  startupTimeMs: number | undefined;
  /** Playing plus stalled time, as the SDK counts it (startup and pauses excluded). */
  watchTimeMs: number;
  playTimeMs: number;
  rebufferCount: number;
  rebufferDurationMs: number;
  /** Switches of the downloaded rung after the first choice (SDK `renditionSwitches`). */
  renditionSwitches: number;
  /** Played (on-screen) time per ladder rung, same order as `ladder.rungs`. */
  playTimeMsByRung: number[];
  /** Played-time-weighted declared bitrate of what was on screen. */
  meanBitrateKbps: number | undefined;
  bytesDownloaded: number;
  requestCount: number;
  completionPercent: number;
  endReason: EndReason;
  sessionDurationMs: number;
  events: TimelineEvent[];
}

// segment-loader CHECK_BUFFER_DELAY: an idle loader looks at the buffer again this often.
const CHECK_BUFFER_DELAY_MS = 500;
const EPSILON_SEC = 1e-9;

/** Reported times are whole milliseconds, the SDK's resolution; the clock itself is not rounded. */
const ms = (value: number): number => Math.round(value);

export function simulateSession(input: SessionInput): SessionOutcome {
  const { ladder, viewport, watch } = input;
  if (!input.ladderChecked) checkLadder(ladder);
  const policy = input.policy ?? createVhsPolicy();
  const appendMs = input.appendMs ?? 0;
  const clock = createTraceClock(input.trace);
  const estimator = createVhsBandwidthEstimator();
  const timeline = (ladder.rungs[0]?.segments ?? []).map((segment) => segment.durationSec);
  const segmentCount = timeline.length;
  const segmentStarts: number[] = new Array(segmentCount);
  let durationSec = 0;
  for (let i = 0; i < segmentCount; i++) {
    segmentStarts[i] = durationSec;
    durationSec += timeline[i] ?? 0;
  }
  const startPositionSec = input.startPositionSec ?? 0;
  if (!(startPositionSec >= 0 && startPositionSec < durationSec)) {
    throw new ModelInputError('startPositionSec', `must be in [0, ${durationSec})`);
  }
  const playLimitSec = Math.min(watch.playSec ?? Number.POSITIVE_INFINITY, durationSec - startPositionSec);

  const playTimeMsByRung: number[] = ladder.rungs.map(() => 0);
  const buffer = createPlaybackBuffer(startPositionSec, playTimeMsByRung);
  const events: TimelineEvent[] = [{ type: 'playrequest', atMs: 0 }];
  const initialised = new Set<number>();
  let audioInitialised = false;

  let nowMs = 0;
  let segmentIndex = 0;
  while (segmentIndex < segmentCount - 1 && (segmentStarts[segmentIndex + 1] ?? 0) <= startPositionSec)
    segmentIndex++;
  let startupTimeMs: number | undefined;
  let stalled = false;
  let stallStartMs = 0;
  let rebufferCount = 0;
  let rebufferDurationMs = 0;
  let playedSec = 0;
  let renditionSwitches = 0;
  let bytesDownloaded = 0;
  let requestCount = 0;
  let endReason: EndReason | undefined;

  const endStall = (atMs: number): void => {
    const duration = atMs - stallStartMs;
    rebufferDurationMs += duration;
    stalled = false;
    events.push({ type: 'rebufferend', atMs: ms(atMs), rebufferDurationMs: ms(duration) });
  };

  /** Plays from nowMs to targetMs; sets endReason (and nowMs to the end) if the session ends. */
  const advanceTo = (targetMs: number): void => {
    if (targetMs <= nowMs) return;
    if (startupTimeMs === undefined) {
      const limit = watch.abandonStartupAfterMs;
      if (limit !== undefined && targetMs > limit) {
        nowMs = limit;
        endReason = 'abandoned-startup';
        return;
      }
      nowMs = targetMs;
      return;
    }
    if (!stalled) {
      const playable = Math.min((targetMs - nowMs) / 1000, buffer.forwardSec(), playLimitSec - playedSec);
      const played = buffer.play(playable);
      playedSec += played;
      nowMs += played * 1000;
      if (playedSec >= playLimitSec - EPSILON_SEC) {
        endReason = playLimitSec >= durationSec - startPositionSec - EPSILON_SEC ? 'ended' : 'watched';
        return;
      }
      if (nowMs >= targetMs - EPSILON_SEC) {
        nowMs = Math.max(nowMs, targetMs);
        return;
      }
      // The buffer ran dry before the next segment landed.
      stalled = true;
      stallStartMs = nowMs;
      rebufferCount++;
      events.push({ type: 'rebufferstart', atMs: ms(nowMs) });
    }
    const limit = watch.abandonStallAfterMs;
    if (limit !== undefined && targetMs > stallStartMs + limit) {
      nowMs = stallStartMs + limit;
      endReason = 'abandoned-stall';
      return;
    }
    nowMs = targetMs;
  };

  const chooseRung = (currentRung: number | undefined): number => {
    const next = policy.chooseRung({
      ladder,
      viewport,
      estimator,
      currentRung,
      forwardBufferSec: buffer.forwardSec(),
      currentTimeSec: buffer.playheadSec,
      durationSec,
    });
    if (next !== currentRung) {
      const rung = ladder.rungs[next];
      const from = currentRung === undefined ? undefined : ladder.rungs[currentRung];
      if (from) renditionSwitches++;
      events.push({
        type: 'renditionchange',
        atMs: ms(nowMs),
        rung: next,
        bitrateKbps: (rung?.bandwidth ?? 0) / 1000,
        width: rung?.width ?? 0,
        height: rung?.height ?? 0,
        fromBitrateKbps: from ? from.bandwidth / 1000 : undefined,
        switchReason: from ? 'abr' : 'initial',
      });
    }
    return next;
  };

  /** One request: latency in force when sent, then the bytes over the trace. */
  const fetch = (startMs: number, bytes: number): number => {
    requestCount++;
    return clock.transferEndMs(startMs + clock.latencyMs(startMs), bytes);
  };

  let rung = chooseRung(undefined);
  while (endReason === undefined) {
    if (segmentIndex >= segmentCount) {
      // Everything is buffered: play out (or stall out, which cannot happen with a full buffer).
      advanceTo(Number.POSITIVE_INFINITY);
      break;
    }
    if (startupTimeMs !== undefined) {
      const goal = policy.goalBufferSec;
      const forward = buffer.forwardSec();
      if (forward >= goal(buffer.playheadSec)) {
        advanceTo(nowMs + idleMs(buffer.endSec, buffer.playheadSec, goal));
        if (endReason !== undefined) break;
      }
    }
    const rungData = ladder.rungs[rung];
    const segment = rungData?.segments[segmentIndex];
    if (!rungData || !segment) break;
    let requestMs = nowMs;
    let bytes = 0;
    if (rungData.initBytes !== undefined && !initialised.has(rung)) {
      requestMs = fetch(requestMs, rungData.initBytes);
      bytes += rungData.initBytes;
      initialised.add(rung);
    }
    const audio = ladder.audio;
    let mediaBytes = segment.bytes;
    if (audio) {
      // VHS loads audio on its own loader in parallel; on one link that is the same bytes in the same time.
      if (audio.initBytes !== undefined && !audioInitialised) {
        mediaBytes += audio.initBytes;
        audioInitialised = true;
      }
      mediaBytes += audio.segments[segmentIndex]?.bytes ?? 0;
      requestCount++;
    }
    const sentMs = requestMs;
    const doneMs = fetch(sentMs, mediaBytes);
    bytes += mediaBytes;
    advanceTo(doneMs);
    if (endReason !== undefined) break;
    bytesDownloaded += bytes;
    estimator.onSegment({
      bytes: segment.bytes,
      roundTripMs: doneMs - sentMs,
      processingMs: appendMs,
      durationSec: segment.durationSec,
    });
    buffer.append(segmentStarts[segmentIndex] ?? 0, segment.durationSec, rung);
    segmentIndex++;
    if (startupTimeMs === undefined) {
      startupTimeMs = ms(nowMs);
      events.push({ type: 'firstframe', atMs: startupTimeMs, startupTimeMs });
    } else if (stalled) {
      endStall(nowMs);
    }
    rung = chooseRung(rung);
  }

  const finalReason: EndReason = endReason ?? 'ended';
  if (stalled) endStall(nowMs);
  events.push({ type: 'viewend', atMs: ms(nowMs), endReason: finalReason });
  const playTimeMs = playedSec * 1000;
  const playedByRung = playTimeMsByRung.map(ms);
  let weighted = 0;
  let weight = 0;
  playedByRung.forEach((played, index) => {
    weighted += played * (ladder.rungs[index]?.bandwidth ?? 0);
    weight += played;
  });
  return {
    policy: policy.name,
    startupTimeMs,
    watchTimeMs: ms(playTimeMs + rebufferDurationMs),
    playTimeMs: ms(playTimeMs),
    rebufferCount,
    rebufferDurationMs: ms(rebufferDurationMs),
    renditionSwitches,
    playTimeMsByRung: playedByRung,
    meanBitrateKbps: weight > 0 ? weighted / weight / 1000 : undefined,
    bytesDownloaded,
    requestCount,
    completionPercent: (buffer.playheadSec / durationSec) * 100,
    endReason: finalReason,
    sessionDurationMs: ms(nowMs),
    events,
  };
}

/**
 * How long an idle loader waits: the first 500 ms tick at which the forward buffer is under the
 * goal again. The playhead moves 1 s/s meanwhile and the goal grows with it, so the tick is solved
 * for rather than stepped through.
 */
function idleMs(bufferEndSec: number, playheadSec: number, goal: (currentTimeSec: number) => number): number {
  let ticks = 1;
  // Forward buffer shrinks 0.5 s per tick while the goal grows ≤ 0.5 s; stepping is bounded by
  // the buffer (≤ 60 s → ≤ 120 ticks) and usually ends within a few.
  while (bufferEndSec - (playheadSec + ticks * 0.5) >= goal(playheadSec + ticks * 0.5) && ticks < 1000)
    ticks++;
  return ticks * CHECK_BUFFER_DELAY_MS;
}
