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
import { createVhsPolicy, vhsEarlyAbortBandwidth, vhsIsLowestEnabled, vhsSelectRung } from './abr-vhs.js';
import {
  chromiumDownlinkBps,
  createVhsBandwidthEstimator,
  INITIAL_BANDWIDTH,
} from './bandwidth-estimator.js';
import { createPlaybackBuffer } from './buffer.js';
import { checkLadder, type Ladder, ModelInputError, targetDurationSec } from './ladder.js';
import { memoizeByObject } from './memo.js';
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
  /**
   * Decrypt/transmux/append time per segment (default 0): the segment is playable this long after
   * its last byte, the loader sends its next request only then (VHS' segment loader appends before
   * it loads on), and it feeds VHS' `throughput`.
   */
  appendMs?: number;
  /** Append time that grows with the segment (parsing, copying into the SourceBuffer), per 10⁶ bytes. */
  appendMsPerMegabyte?: number;
  /**
   * The player's own start-up work between the master playlist and the first media playlist
   * request (parsing, MediaSource and SourceBuffer set-up; default 0).
   */
  setupMs?: number;
  /**
   * Also pay the master and media playlist round trips (one per rung, the first time VHS loads
   * it; VOD playlists stay loaded). Off by default so startup is segment time alone.
   */
  playlistRequests?: boolean;
  /**
   * VHS reads `navigator.connection.downlink` as its bandwidth (Chromium with VHS' default
   * `useNetworkInformationApi`; the watch page keeps it): the downlink is the trace's rate now, times
   * `downlinkMultiplier` (Chromium's privacy noise, default 1), see `chromiumDownlinkBps`. Absent:
   * VHS measures segments itself (Safari, Firefox, or the option off).
   */
  networkInformation?: { downlinkMultiplier?: number };
  /**
   * A ladder with separate audio: VHS' own audio segment loader (default), which fetches audio
   * segments one at a time up to the same buffer goal, in parallel with the video loader, the two
   * transfers sharing the trace's link evenly while both are in flight. `false`: each video request
   * carries its segment's audio bytes instead (one loader, the model before issue 11's validation).
   */
  audioLoader?: boolean;
  /** Skip the ladder check when the caller runs many sessions over one checked ladder. */
  ladderChecked?: boolean;
  /**
   * VHS' `bandwidth` option, bit/s (what the SDK seeds from the playback API's start-rung hint):
   * VHS starts its main segment loader's `bandwidth` at it instead of INITIAL_BANDWIDTH, so the
   * first rendition selection reads it and the first measured segment replaces it
   * (videojs-http-streaming.js; a non-default value also turns off `enableLowInitialPlaylist`,
   * which is off by default and not modelled). Under `networkInformation` the browser's downlink
   * still overrides it, as in VHS' `bandwidth` getter.
   */
  initialBandwidth?: number;
  /**
   * Told of every main segment request that ended (completed or aborted) before the session did:
   * what the SDK's network controller measures from the XHR (send → loadend, bytes received) for
   * its `throughputKbps`.
   */
  onSegmentRequest?: (request: SegmentRequest) => void;
}

/** One main segment request, on the session's clock. */
export interface SegmentRequest {
  rung: number;
  sentMs: number;
  endMs: number;
  /** Bytes received: the whole request (with its init segment), or what arrived before an abort. */
  bytes: number;
  aborted: boolean;
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
      /** `initial`, or VHS' cause: `bandwidthupdate` (its ABR check), `exclude` (early abort); BBA: `abr`. */
      switchReason: string;
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
// How often the browser reports XHR progress (Chromium: every 50 ms), when VHS may early-abort.
const PROGRESS_INTERVAL_MS = 50;
// playlist-controller ABORT_EARLY_EXCLUSION_SECONDS.
const ABORT_EARLY_EXCLUSION_MS = 10_000;
const EPSILON_SEC = 1e-9;
// The audio loader's states.
const AUDIO_IDLE = 0;
const AUDIO_LATENCY = 1;
const AUDIO_DATA = 2;
const AUDIO_APPEND = 3;

/**
 * A video request on the link; when shared, `marks` (t, bits received, link bits at t, transfers
 * sharing) in the first `markCount` entries of the session's one marks array (one request at a time).
 */
interface VideoTransfer {
  firstByteMs: number;
  bits: number;
  bitsLeft: number;
  doneMs: number;
  bitsAtFirstByte: number;
  marks: number[];
  markCount: number;
}
const EPSILON_MS = 1e-6;

/** Whether a transfer needing `needBits` may complete on a link that carries `reachBits` meanwhile. */
const mayFinish = (needBits: number, reachBits: number): boolean => reachBits >= needBits * (1 - 1e-9) - 1;

/** Reported times are whole milliseconds, the SDK's resolution; the clock itself is not rounded. */
const ms = (value: number): number => Math.round(value);

export function simulateSession(input: SessionInput): SessionOutcome {
  const { ladder, viewport, watch } = input;
  if (!input.ladderChecked) checkLadder(ladder);
  const policy = input.policy ?? createVhsPolicy();
  const appendMs = input.appendMs ?? 0;
  const appendMsPerByte = (input.appendMsPerMegabyte ?? 0) / 1e6;
  const clock = createTraceClock(input.trace);
  const networkInformation = input.networkInformation;
  const initialBandwidth = input.initialBandwidth ?? INITIAL_BANDWIDTH;
  if (!(initialBandwidth >= 0)) throw new ModelInputError('initialBandwidth', 'must be ≥ 0');
  const estimator = createVhsBandwidthEstimator(
    initialBandwidth,
    networkInformation &&
      (() => chromiumDownlinkBps(clock.bandwidthKbpsAt(nowMs), networkInformation.downlinkMultiplier)),
  );
  const { segmentStarts, durationSec, requestTimeoutMs } = timelineOf(ladder);
  const segmentCount = segmentStarts.length;
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
      // A segment landing as the buffer empties is not a stall (float dust, not a wait).
      if (nowMs >= targetMs - EPSILON_MS) {
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

  const excludedUntilMs: number[] = ladder.rungs.map(() => 0);
  const isEnabled = (index: number): boolean => nowMs >= (excludedUntilMs[index] ?? 0);

  // segment-loader: mediaIndex is null at the start and after every rendition switch (resyncLoader).
  let walkingForward = false;

  const announce = (next: number, currentRung: number | undefined, reason: string): void => {
    if (next === currentRung) return;
    walkingForward = false;
    const rung = ladder.rungs[next];
    const from = currentRung === undefined ? undefined : ladder.rungs[currentRung];
    if (from) {
      renditionSwitches++;
      if (audioLoader) restartAudio(next);
    }
    events.push({
      type: 'renditionchange',
      atMs: ms(nowMs),
      rung: next,
      bitrateKbps: (rung?.bandwidth ?? 0) / 1000,
      width: rung?.width ?? 0,
      height: rung?.height ?? 0,
      fromBitrateKbps: from ? from.bandwidth / 1000 : undefined,
      switchReason: from ? reason : 'initial',
    });
  };

  const chooseRung = (currentRung: number | undefined): number => {
    const next = policy.chooseRung({
      ladder,
      viewport,
      estimator,
      currentRung,
      isEnabled,
      forwardBufferSec: buffer.forwardSec(),
      currentTimeSec: buffer.playheadSec,
      durationSec,
    });
    announce(next, currentRung, policy.switchReason);
    return next;
  };

  const playlistLoaded = new Set<number>();
  const audio = ladder.audio;
  const audioLoader = audio !== undefined && input.audioLoader !== false;

  // The audio segment loader (audioLoader only): it fetches the next audio segment whenever its own
  // buffer ahead of the playhead is under the goal (before the first frame: one segment, VHS'
  // `preloaded` rule), looking again every 500 ms, and appends like the video loader. The link is
  // simulated up to linkMs; it runs ahead of nowMs while a video request is in flight.
  let linkMs = 0;
  let audioIndex = segmentIndex;
  let audioEndSec = segmentStarts[segmentIndex] ?? 0;
  let audioPhase = AUDIO_IDLE;
  // Idle: when it looks next (not before the player has set up); latency: the first byte; append:
  // when the append is done.
  let audioWakeMs = Number.POSITIVE_INFINITY;
  let audioBits = 0;
  let audioBytes = 0;
  let mainAppended = false;
  // The first video segment when it was in before its audio, and when that audio was appended.
  let pendingFirst: { index: number; rung: number } | undefined;
  let firstAudioReadyMs: number | undefined;
  // One snapshot per session, overwritten before every video request (it is read only on an abort).
  const saved = {
    linkMs,
    audioIndex,
    audioEndSec,
    audioPhase,
    audioWakeMs,
    audioBits,
    audioBytes,
    audioInitialised,
    bytesDownloaded,
    requestCount,
    firstAudioReadyMs,
  };
  const snapshotAudio = (): typeof saved => {
    saved.linkMs = linkMs;
    saved.audioIndex = audioIndex;
    saved.audioEndSec = audioEndSec;
    saved.audioPhase = audioPhase;
    saved.audioWakeMs = audioWakeMs;
    saved.audioBits = audioBits;
    saved.audioBytes = audioBytes;
    saved.audioInitialised = audioInitialised;
    saved.bytesDownloaded = bytesDownloaded;
    saved.requestCount = requestCount;
    saved.firstAudioReadyMs = firstAudioReadyMs;
    return saved;
  };
  const restoreAudio = (saved: ReturnType<typeof snapshotAudio>): void => {
    ({ linkMs, audioIndex, audioEndSec, audioPhase, audioWakeMs, audioBits, audioBytes, audioInitialised } =
      saved);
    ({ bytesDownloaded, requestCount, firstAudioReadyMs } = saved);
  };

  /** The playhead at a time ≥ nowMs, as the playback from nowMs would move it. */
  const playheadAt = (atMs: number): number => {
    if (startupTimeMs === undefined) {
      // A deferred first segment starts playing when its audio lands, maybe within this run.
      if (pendingFirst === undefined || firstAudioReadyMs === undefined || atMs < firstAudioReadyMs)
        return buffer.playheadSec;
      const index = pendingFirst.index;
      const lengthSec = ladder.rungs[pendingFirst.rung]?.segments[index]?.durationSec ?? 0;
      return Math.min(
        buffer.playheadSec + (atMs - firstAudioReadyMs) / 1000,
        (segmentStarts[index] ?? 0) + lengthSec,
      );
    }
    return stalled ? buffer.playheadSec : Math.min(buffer.playheadSec + (atMs - nowMs) / 1000, buffer.endSec);
  };

  const audioWants = (atMs: number): boolean => {
    if (audioIndex >= segmentCount) return false;
    const playhead = playheadAt(atMs);
    const forward = audioEndSec - playhead;
    const started =
      startupTimeMs !== undefined ||
      (pendingFirst !== undefined && firstAudioReadyMs !== undefined && atMs >= firstAudioReadyMs);
    return started ? forward < policy.goalBufferSec(playhead) : forward < 1;
  };

  /** Audio state changes due at `atMs` (a request sent, its first byte, an append done). */
  const settleAudio = (atMs: number): void => {
    for (;;) {
      if (audioWakeMs > atMs) return;
      if (audioPhase === AUDIO_IDLE) {
        if (!audioWants(atMs)) {
          if (audioIndex >= segmentCount) audioWakeMs = Number.POSITIVE_INFINITY;
          else if (startupTimeMs !== undefined) {
            // At the goal: the first 500 ms tick under it, solved for as the video loader's idle is.
            // A playhead that stalls meanwhile only keeps the skipped ticks at the goal too.
            audioWakeMs = atMs + idleMs(audioEndSec, playheadAt(atMs), policy.goalBufferSec);
          } else audioWakeMs = atMs + CHECK_BUFFER_DELAY_MS;
          return;
        }
        audioBytes = audio?.segments[audioIndex]?.bytes ?? 0;
        if (!audioInitialised) audioBytes += audio?.initBytes ?? 0;
        audioBits = audioBytes * 8;
        requestCount++;
        audioPhase = AUDIO_LATENCY;
        audioWakeMs = atMs + clock.latencyMs(atMs);
      } else if (audioPhase === AUDIO_LATENCY) {
        audioPhase = AUDIO_DATA;
        audioWakeMs = Number.POSITIVE_INFINITY;
        return;
      } else if (audioPhase === AUDIO_APPEND) {
        if (!mainAppended) {
          // segment-loader: audio waits for the main loader's first timeline change to append.
          audioWakeMs = Number.POSITIVE_INFINITY;
          return;
        }
        audioEndSec = (segmentStarts[audioIndex] ?? 0) + (audio?.segments[audioIndex]?.durationSec ?? 0);
        audioIndex++;
        audioInitialised = true;
        if (pendingFirst !== undefined && firstAudioReadyMs === undefined && audioIndex > pendingFirst.index)
          firstAudioReadyMs = atMs;
        audioPhase = AUDIO_IDLE;
      } else return;
    }
  };

  /**
   * A rendition switch: media-groups' onGroupChanging aborts the audio request in flight (and
   * drops a segment still waiting for the main loader's first append), onGroupChanged resyncs the
   * loader and starts it again once the new media playlist is loaded; before the main loader's
   * first append the audio loader then waits for it (its sync point), as measured in Chromium.
   */
  const restartAudio = (next: number): void => {
    const held = audioPhase === AUDIO_APPEND && audioWakeMs === Number.POSITIVE_INFINITY;
    if (audioPhase === AUDIO_APPEND && !held) return;
    // A request in flight is cancelled (segment-loader abort() while WAITING) and the loader is
    // READY: it asks again as soon as the new playlist is in, main's first append or not. A
    // downloaded segment held for that append is dropped instead, and the loader, not READY, waits.
    const inFlight = audioPhase === AUDIO_LATENCY || audioPhase === AUDIO_DATA;
    // The bytes that did arrive were paid for.
    if (audioPhase === AUDIO_DATA) bytesDownloaded += Math.floor(audioBytes - audioBits / 8);
    audioPhase = AUDIO_IDLE;
    audioWakeMs =
      mainAppended || inFlight
        ? nowMs + (input.playlistRequests && !playlistLoaded.has(next) ? clock.latencyMs(nowMs) : 0)
        : Number.POSITIVE_INFINITY;
  };

  /** The main loader's first append: audio held or waiting for it goes on. */
  const onMainAppended = (): void => {
    mainAppended = true;
    if (audioLoader && audioPhase !== AUDIO_DATA && audioWakeMs === Number.POSITIVE_INFINITY)
      audioWakeMs = nowMs;
  };

  /**
   * Runs the link from linkMs: the audio loader, and the video transfer if any, the transfers in
   * flight splitting the trace's rate evenly (processor sharing, as the proxy and, roughly, TCP).
   * Stops at `untilMs`, when the video transfer completes (returns that time), or once the audio
   * segments before `audioIndexGoal` are buffered (returns that time). Records the video's progress for the
   * early-abort check.
   */
  const runLink = (untilMs: number, video?: VideoTransfer, audioIndexGoal?: number): number => {
    let t = linkMs;
    for (;;) {
      // settleAudio's own first test, kept here: most turns have nothing due and skip the call.
      if (audioWakeMs <= t) settleAudio(t);
      if (audioIndexGoal !== undefined && audioIndex >= audioIndexGoal) break;
      if (t >= untilMs) break;
      const videoActive = video !== undefined && t >= video.firstByteMs;
      const audioActive = audioPhase === AUDIO_DATA;
      const flows = (videoActive ? 1 : 0) + (audioActive ? 1 : 0);
      let next = untilMs;
      if (video !== undefined && !videoActive) next = Math.min(next, video.firstByteMs);
      if (!audioActive) next = Math.min(next, audioWakeMs);
      // A transfer that cannot finish by `next` (the link carries fewer bits by then, by a margin far
      // above float error) leaves `next` as it is and is not done there: its end time is not needed.
      // Two transfers drain at one rate, so the one with fewer bits left ends first: with nothing
      // else due, its end is `next` for the other's test.
      let videoEndMs = Infinity;
      let audioDoneMs = Infinity;
      if (videoActive && audioActive && next === Infinity) {
        if (audioBits <= video.bitsLeft) next = audioDoneMs = clock.transferEndMs(t, (audioBits * flows) / 8);
        else next = videoEndMs = clock.transferEndMs(t, (video.bitsLeft * flows) / 8);
      }
      const startBits = flows > 0 ? clock.cumulativeBits(t) : 0;
      const reachBits = flows > 0 && next < Infinity ? clock.cumulativeBits(next) - startBits : Infinity;
      if (videoActive && videoEndMs === Infinity && mayFinish(video.bitsLeft * flows, reachBits))
        videoEndMs = clock.transferEndMs(t, (video.bitsLeft * flows) / 8);
      if (audioActive && audioDoneMs === Infinity && mayFinish(audioBits * flows, reachBits))
        audioDoneMs = clock.transferEndMs(t, (audioBits * flows) / 8);
      next = Math.min(next, videoEndMs, audioDoneMs);
      if (flows > 0) {
        const each = (clock.cumulativeBits(next) - startBits) / flows;
        if (videoActive) {
          const m = video.markCount;
          video.marks[m] = t;
          video.marks[m + 1] = video.bits - video.bitsLeft;
          video.marks[m + 2] = startBits;
          video.marks[m + 3] = flows;
          video.markCount = m + 4;
          video.bitsLeft = next >= videoEndMs ? 0 : video.bitsLeft - each;
        }
        if (audioActive) audioBits = next >= audioDoneMs ? 0 : audioBits - each;
      }
      t = next;
      if (audioActive && audioBits <= 0) {
        bytesDownloaded += audioBytes;
        audioPhase = AUDIO_APPEND;
        audioWakeMs = t + appendMs + appendMsPerByte * audioBytes;
      }
      if (videoActive && video.bitsLeft <= 0) break;
    }
    linkMs = t;
    return t;
  };

  // The marks of the video request in flight (one at a time), reused so requests allocate none.
  const marks: number[] = [];
  /** One video request: latency in force when sent, then its bytes over the (shared) link. */
  const transfer = (sentMs: number, bytes: number): VideoTransfer => {
    requestCount++;
    const firstByteMs = sentMs + clock.latencyMs(sentMs);
    const flow: VideoTransfer = {
      firstByteMs,
      bits: bytes * 8,
      bitsLeft: bytes * 8,
      doneMs: 0,
      bitsAtFirstByte: clock.cumulativeBits(firstByteMs),
      marks,
      markCount: 0,
    };
    flow.doneMs = audioLoader
      ? runLink(Number.POSITIVE_INFINITY, flow)
      : clock.transferEndMs(firstByteMs, bytes);
    return flow;
  };

  /** A segment joins the playable buffer: the first frame, or the end of a stall. */
  const appendSegment = (index: number, segmentRung: number): void => {
    buffer.append(
      segmentStarts[index] ?? 0,
      ladder.rungs[segmentRung]?.segments[index]?.durationSec ?? 0,
      segmentRung,
    );
    if (startupTimeMs === undefined) {
      startupTimeMs = ms(nowMs);
      events.push({ type: 'firstframe', atMs: startupTimeMs, startupTimeMs });
    } else if (stalled) {
      endStall(nowMs);
    }
  };

  /** The first video segment, deferred for its audio, plays once that audio is in by `byMs`. */
  const releaseIfReady = (byMs: number): void => {
    if (pendingFirst === undefined || firstAudioReadyMs === undefined || firstAudioReadyMs > byMs) return;
    advanceTo(firstAudioReadyMs);
    if (endReason !== undefined) return;
    appendSegment(pendingFirst.index, pendingFirst.rung);
    pendingFirst = undefined;
  };

  /** Time passes for both loaders: the audio loader's link, then playback. */
  const wait = (targetMs: number): void => {
    if (audioLoader && targetMs > linkMs) runLink(targetMs);
    releaseIfReady(targetMs);
    if (endReason === undefined) advanceTo(targetMs);
  };

  /** The video request's bits received by `atMs` (≥ its first byte), times its share of the request. */
  const videoBitsAt = (flow: VideoTransfer, share: number, atMs: number): number => {
    const marks = flow.marks;
    if (flow.markCount === 0) return (clock.cumulativeBits(atMs) - flow.bitsAtFirstByte) * share;
    let i = flow.markCount - 4;
    while (i > 0 && (marks[i] ?? 0) > atMs) i -= 4;
    const received =
      (marks[i + 1] ?? 0) + (clock.cumulativeBits(atMs) - (marks[i + 2] ?? 0)) / (marks[i + 3] ?? 1);
    return Math.min(flow.bits, received) * share;
  };

  /**
   * When an in-flight segment request on `rung` is given up: an early abort (with the bandwidth VHS
   * then assumes) or the request timeout (1.5 target durations; none on the lowest enabled rung).
   * Computed without moving the clock; exclusions are read as of the send time (one expiring
   * mid-request would be seen by VHS a little earlier).
   */
  const findAbort = (
    rung: number,
    sentMs: number,
    flow: VideoTransfer,
    videoShare: number,
    segmentDurationSec: number,
  ): { atMs: number; bandwidth: number; exclude: boolean } | undefined => {
    if (vhsIsLowestEnabled(ladder, rung, isEnabled)) return undefined;
    const timeoutAtMs = sentMs + requestTimeoutMs;
    const doneMs = flow.doneMs;
    if (policy.earlyAbort) {
      const current = ladder.rungs[rung]?.bandwidth ?? 0;
      // The buffer ahead only shrinks while playing; before the first frame and in a stall it is empty.
      const playing = startupTimeMs !== undefined && !stalled;
      const forwardSec = buffer.forwardSec();
      // A first segment waiting for its audio starts playing when that audio lands mid-request.
      const releaseMs = pendingFirst === undefined ? undefined : firstAudioReadyMs;
      const pendingSec =
        pendingFirst === undefined
          ? 0
          : (ladder.rungs[pendingFirst.rung]?.segments[pendingFirst.index]?.durationSec ?? 0);
      // segment-loader: progress bandwidth is only trusted 1 s after the first byte.
      const firstCheckMs = flow.firstByteMs + 1000;
      for (let t = firstCheckMs; t < doneMs && t < timeoutAtMs; t += PROGRESS_INTERVAL_MS) {
        const receivedBits = videoBitsAt(flow, videoShare, t);
        const measuredBandwidth = Math.floor((receivedBits / 8 / (t - sentMs)) * 8 * 1000);
        const timeUntilRebufferSec =
          releaseMs !== undefined && t >= releaseMs
            ? Math.max(0, pendingSec - (t - releaseMs) / 1000) - 1
            : Math.max(0, forwardSec - (playing ? (t - nowMs) / 1000 : 0)) - 1;
        const leftBits = segmentDurationSec * current - receivedBits;
        // The common case, settled without the candidate search: the download beats the buffer.
        if (leftBits / measuredBandwidth <= timeUntilRebufferSec) {
          if (playing && receivedBits > 0) {
            // Bits only accumulate, so at a later check t' the estimate is at most
            // leftBits × (t' − sent) / (1000 × receivedBits) s while the buffer lost (t' − t) / 1000 s:
            // every check before the t' where those meet passes too. Skip to it.
            const perMs = leftBits / (1000 * receivedBits);
            const safeMs = (timeUntilRebufferSec + perMs * sentMs + t / 1000) / (perMs + 1 / 1000);
            if (safeMs > t + PROGRESS_INTERVAL_MS) {
              t =
                firstCheckMs +
                Math.floor((safeMs - firstCheckMs) / PROGRESS_INTERVAL_MS) * PROGRESS_INTERVAL_MS;
            }
          }
          continue;
        }
        const bandwidth = vhsEarlyAbortBandwidth(ladder, rung, isEnabled, {
          receivedBits,
          measuredBandwidth,
          segmentDurationSec,
          timeUntilRebufferSec,
        });
        if (bandwidth !== undefined) return { atMs: t, bandwidth, exclude: true };
      }
    }
    // segment-loader handleTimeout_: bandwidth 1, so the next check picks the lowest rung.
    return doneMs > timeoutAtMs ? { atMs: timeoutAtMs, bandwidth: 1, exclude: false } : undefined;
  };

  if (input.playlistRequests) {
    requestCount++;
    wait(clock.latencyMs(0));
  }
  wait(nowMs + (input.setupMs ?? 0));
  // The audio loader starts once its playlist is loaded, and VHS asks for that playlist only when
  // the main media playlist has loaded (setupMediaGroups runs on the main loader's loadedmetadata).
  let audioStarted = false;
  const startAudio = (): void => {
    if (!audioLoader || audioStarted) return;
    audioStarted = true;
    audioWakeMs = nowMs;
    if (input.playlistRequests) {
      requestCount++;
      audioWakeMs += clock.latencyMs(nowMs);
    }
  };
  if (!input.playlistRequests) startAudio();
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
        wait(nowMs + idleMs(buffer.endSec, buffer.playheadSec, goal));
        if (endReason !== undefined) break;
      }
    }
    const rungData = ladder.rungs[rung];
    const segment = rungData?.segments[segmentIndex];
    if (!rungData || !segment) break;
    let sentMs = nowMs;
    if (input.playlistRequests && !playlistLoaded.has(rung)) {
      requestCount++;
      sentMs += clock.latencyMs(sentMs);
      wait(sentMs);
      if (endReason !== undefined) break;
      playlistLoaded.add(rung);
      startAudio();
    }
    let mediaBytes = segment.bytes;
    // media-segment-request: a rung's init segment (its map) is requested together with its first
    // media segment, not before it; the two share the link, so they ride on one transfer here (the
    // init is ~1 kB and done first). It counts as loaded once the segment is in.
    const withInit = rungData.initBytes !== undefined && !initialised.has(rung);
    if (withInit) {
      mediaBytes += rungData.initBytes ?? 0;
      requestCount++;
    }
    if (audio && !audioLoader) {
      // One loader: the video request carries its segment's audio bytes (same bytes, one link).
      if (audio.initBytes !== undefined && !audioInitialised) mediaBytes += audio.initBytes;
      mediaBytes += audio.segments[segmentIndex]?.bytes ?? 0;
      requestCount++;
    }
    const linkSnapshot = audioLoader ? snapshotAudio() : undefined;
    const flow = transfer(sentMs, mediaBytes);
    const doneMs = flow.doneMs;
    const abort = findAbort(rung, sentMs, flow, segment.bytes / mediaBytes, segment.durationSec);
    if (abort) {
      let receivedBits = videoBitsAt(flow, 1, Math.max(flow.firstByteMs, abort.atMs));
      if (linkSnapshot) {
        // The link ran on as if the request completed: replay it with the request cut at the abort.
        restoreAudio(linkSnapshot);
        requestCount++;
        // Written out, not spread: the same shape as every request's keeps runLink's reads monomorphic.
        const cut: VideoTransfer = {
          firstByteMs: flow.firstByteMs,
          bits: flow.bits,
          bitsLeft: flow.bits,
          doneMs: flow.doneMs,
          bitsAtFirstByte: flow.bitsAtFirstByte,
          marks,
          markCount: 0,
        };
        runLink(abort.atMs, cut);
        receivedBits = cut.bits - cut.bitsLeft;
      }
      wait(abort.atMs);
      if (endReason !== undefined) break;
      // The bytes that did arrive were paid for.
      const receivedBytes = Math.min(mediaBytes, Math.floor(receivedBits / 8));
      bytesDownloaded += receivedBytes;
      input.onSegmentRequest?.({ rung, sentMs, endMs: abort.atMs, bytes: receivedBytes, aborted: true });
      estimator.setBandwidth(abort.bandwidth);
      if (abort.exclude) {
        // excludePlaylist: 10 s out, and the next choice is switched to without the buffer rules.
        excludedUntilMs[rung] = nowMs + ABORT_EARLY_EXCLUSION_MS;
        const next = vhsSelectRung(ladder, estimator.systemBandwidth(), viewport, isEnabled);
        announce(next, rung, 'exclude');
        rung = next;
      } else {
        rung = chooseRung(rung);
      }
      continue;
    }
    const segmentAppendMs = appendMs + appendMsPerByte * mediaBytes;
    wait(doneMs + segmentAppendMs);
    if (endReason !== undefined) break;
    bytesDownloaded += mediaBytes;
    if (withInit) initialised.add(rung);
    if (!mainAppended) onMainAppended();
    if (pendingFirst !== undefined) {
      // A second video segment is in before the first one's audio: now wait for that audio.
      runLink(Number.POSITIVE_INFINITY, undefined, pendingFirst.index + 1);
      releaseIfReady(linkMs);
      if (endReason !== undefined) break;
    }
    let deferred = false;
    // By index: audio segments end a few ms off the video's (AAC frames).
    if (audioLoader && audioIndex <= segmentIndex) {
      if (startupTimeMs === undefined) {
        // The segment plays once its audio is buffered too (the video element's buffered range is
        // both). Before the first frame VHS' main loader loads on (its buffer, where audio and
        // video overlap, is empty), sharing the link with that audio.
        pendingFirst = { index: segmentIndex, rung };
        firstAudioReadyMs = undefined;
        deferred = true;
      } else {
        // Later the video loader waits for it (VHS would load on: a small difference).
        advanceTo(runLink(Number.POSITIVE_INFINITY, undefined, segmentIndex + 1));
        if (endReason !== undefined) break;
      }
    }
    if (audio && !audioLoader) audioInitialised = true;
    input.onSegmentRequest?.({ rung, sentMs, endMs: doneMs, bytes: mediaBytes, aborted: false });
    estimator.onSegment({
      bytes: segment.bytes,
      roundTripMs: doneMs - sentMs,
      processingMs: segmentAppendMs,
      durationSec: segment.durationSec,
    });
    if (!deferred) appendSegment(segmentIndex, rung);
    segmentIndex++;
    const check = walkingForward || !policy.onlyWalkingForward;
    walkingForward = true;
    // A switch here resyncs the loader again (announce clears walkingForward).
    if (check) rung = chooseRung(rung);
  }

  const finalReason: EndReason = endReason ?? 'ended';
  if (stalled) endStall(nowMs);
  events.push({ type: 'viewend', atMs: ms(nowMs), endReason: finalReason });
  const playTimeMs = playedSec * 1000;
  // One loop, not map then forEach: map's result held small integers in some sessions and doubles in
  // others, and reading it back deoptimised the whole session function again and again.
  const playedByRung: number[] = [];
  let weighted = 0;
  let weight = 0;
  for (let index = 0; index < playTimeMsByRung.length; index++) {
    const played = ms(playTimeMsByRung[index] ?? 0);
    playedByRung.push(played);
    weighted += played * (ladder.rungs[index]?.bandwidth ?? 0);
    weight += played;
  }
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
    // Rounded so float drift of the playhead never reports 99.99999 for a finished title.
    completionPercent: Math.round((buffer.playheadSec / durationSec) * 100_000) / 1000,
    endReason: finalReason,
    sessionDurationMs: ms(nowMs),
    events,
  };
}

interface Timeline {
  segmentStarts: Float64Array;
  durationSec: number;
  requestTimeoutMs: number;
}

const timelineOf = memoizeByObject((ladder: Ladder): Timeline => {
  const segments = ladder.rungs[0]?.segments ?? [];
  const segmentStarts = new Float64Array(segments.length);
  let durationSec = 0;
  segments.forEach((segment, i) => {
    segmentStarts[i] = durationSec;
    durationSec += segment.durationSec;
  });
  // playlist-controller: segment requests time out after 1.5 × EXT-X-TARGETDURATION.
  return { segmentStarts, durationSec, requestTimeoutMs: targetDurationSec(ladder) * 1.5 * 1000 };
});

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
