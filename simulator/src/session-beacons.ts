/**
 * Fast mode's stand-in for the player SDK: one model session (`SessionOutcome`) becomes the
 * `qoe.beacon.v1` beacons the SDK's controllers would have sent for it — the same events, fields and
 * cadence (player-sdk/src: beacon-factory, startup-, rebuffer-, rendition-, heartbeat- and
 * lifecycle-controller), on the session's own virtual clock shifted to `startMs`.
 *
 * What the model does not say is reconstructed, and said so here:
 * - the rung on screen: the model gives played time per rung, not when the picture changed. Runs of
 *   the downloaded rung (its renditionchange events) are shown in order, each rung's played time
 *   split over its runs in proportion to how long each run was downloaded. Totals per rung are
 *   exact (so SQL's time-weighted bitrate equals the model's); switch instants are approximate.
 * - network counters (requests, bytes) arrive once, on viewend, since the model keeps no per-request log.
 *   The throughput measurement does not: given the model's main segment requests, each heartbeat (and
 *   viewend) carries `throughputKbps` of those that ended in its interval, as player-sdk's
 *   network-controller measures it. The model reports no audio requests, which the SDK also counts.
 * Every beacon is `synthetic: true` with its cohort and network class.
 */
import type { Beacon, BeaconEvent } from '@streamloop/core/schemas/beacon';
import type { SessionPlan } from '@streamloop/playback-model/audience';
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { SegmentRequest, SessionOutcome, TimelineEvent } from '@streamloop/playback-model/player-model';

/** player-sdk heartbeat-controller's default interval. */
export const SDK_HEARTBEAT_INTERVAL_MS = 10_000;
export const PLAYER_NAME = 'streamloop-simulator';

export interface SessionIds {
  sessionId: string;
  viewId: string;
  viewerId: string;
  /** Beacon ids are `${beaconIdPrefix}.${seq}`. */
  beaconIdPrefix: string;
}

export interface SessionBeaconInput {
  outcome: SessionOutcome;
  plan: Pick<SessionPlan, 'cohort' | 'viewport'>;
  ladder: Ladder;
  ids: SessionIds;
  videoId: string;
  /** Wall clock (ms since epoch) of the view's start (viewstart and playrequest). */
  startMs: number;
  playback: { ladderId?: string | undefined; variant?: string | undefined };
  networkClass: string;
  mediaDurationMs: number;
  heartbeatIntervalMs?: number;
  /**
   * The model's main segment requests (its `onSegmentRequest`, in the order they ended). Absent: no
   * beacon carries `throughputKbps`.
   */
  segmentRequests?: readonly SegmentRequest[];
}

/**
 * Ids that depend only on the run key and the plan, so the same seed and audience give the same
 * beacon ids and analytics, which deduplicates on beaconId, counts a re-run once.
 */
export function sessionIds(runKey: string, plan: Pick<SessionPlan, 'viewerId' | 'sessionIndex'>): SessionIds {
  const viewerId = `${runKey}.${plan.viewerId}`;
  const sessionId = `${viewerId}.${plan.sessionIndex}`;
  const viewId = `${sessionId}.v`;
  return { sessionId, viewId, viewerId, beaconIdPrefix: viewId };
}

interface Run {
  rung: number;
  playMs: number;
}

const NO_STALLS: { atPlayMs: number; durationMs: number }[] = [];

// Hot path (thousands of sessions a second): beacons are built field by field in a fixed order and
// the three time-ordered streams (model events, picture switches, heartbeat ticks) are merged with
// cursors rather than sorted, so a session allocates little beyond its beacons.
export function sessionBeacons(input: SessionBeaconInput): Beacon[] {
  const { outcome, ladder, ids, plan } = input;
  const intervalMs = input.heartbeatIntervalMs ?? SDK_HEARTBEAT_INTERVAL_MS;
  const player = plan.viewport;
  const beacons: Beacon[] = [];
  const { ladderId, variant } = input.playback;

  let playedMs = 0;
  const emit = (event: BeaconEvent, atMs: number): Beacon => {
    const seq = beacons.length;
    const beacon: Beacon = {
      schema: 'qoe.beacon.v1',
      beaconId: `${ids.beaconIdPrefix}.${seq}`,
      event,
      sessionId: ids.sessionId,
      viewId: ids.viewId,
      viewerId: ids.viewerId,
      videoId: input.videoId,
      seq,
      clientTimeMs: Math.round(input.startMs + atMs),
      monotonicMs: atMs,
      playheadMs: Math.round(playedMs),
      synthetic: true,
      cohort: plan.cohort,
      networkClass: input.networkClass,
    };
    if (variant !== undefined) beacon.variant = variant;
    if (ladderId !== undefined) beacon.ladderId = ladderId;
    beacons.push(beacon);
    return beacon;
  };

  const events = outcome.events;
  let firstFrameMs: number | undefined;
  let endMs = outcome.sessionDurationMs;
  for (const event of events) {
    if (event.type === 'firstframe') firstFrameMs = event.atMs;
    else if (event.type === 'viewend') endMs = event.atMs;
  }
  const runs = displayedRuns(outcome, endMs);
  const stalls = firstFrameMs === undefined ? NO_STALLS : stallsOf(events, firstFrameMs);

  // The heartbeat meter: time since the previous heartbeat, split as the SDK's playback meter does.
  let started = false;
  let stalled = false;
  let cursorMs = 0;
  let displayed: number | undefined;
  let displayedScale: 'up' | 'down' | 'same' | undefined;
  let watchMs = 0;
  let playMs = 0;
  let upMs = 0;
  let downMs = 0;
  const advance = (toMs: number): void => {
    const deltaMs = toMs - cursorMs;
    if (deltaMs <= 0) return;
    cursorMs = toMs;
    if (!started) return;
    watchMs += deltaMs;
    if (stalled) return;
    playMs += deltaMs;
    playedMs += deltaMs;
    if (displayedScale === 'up') upMs += deltaMs;
    else if (displayedScale === 'down') downMs += deltaMs;
  };
  // network-controller `take()`: Σ bits / Σ send→loadend ms of the media requests that ended since
  // the previous heartbeat, rounded as the SDK rounds it; none when no request ended in the interval.
  const requests = input.segmentRequests;
  let requestIndex = 0;
  const takeThroughput = (beacon: Beacon, atMs: number): void => {
    if (!requests) return;
    let bits = 0;
    let roundTripMs = 0;
    for (; requestIndex < requests.length; requestIndex++) {
      const request = requests[requestIndex] as SegmentRequest;
      if (request.endMs > atMs) break;
      bits += request.bytes * 8;
      roundTripMs += request.endMs - request.sentMs;
    }
    if (roundTripMs > 0) beacon.throughputKbps = Math.round(bits / roundTripMs);
  };
  const heartbeatFields = (beacon: Beacon, ended: boolean): void => {
    // viewend takes the rest: every request the model reported ended before the session did.
    takeThroughput(beacon, beacon.event === 'viewend' ? Number.POSITIVE_INFINITY : beacon.monotonicMs);
    beacon.watchTimeMs = watchMs;
    beacon.playTimeMs = playMs;
    beacon.pauseTimeMs = 0;
    beacon.upscaleTimeMs = upMs;
    beacon.downscaleTimeMs = downMs;
    watchMs = playMs = upMs = downMs = 0;
    const rung = displayed === undefined ? undefined : ladder.rungs[displayed];
    if (rung) {
      beacon.bitrateKbps = Math.round(rung.bandwidth / 1000);
      beacon.width = rung.width;
      beacon.height = rung.height;
    }
    beacon.playerWidth = player.width;
    beacon.playerHeight = player.height;
    beacon.completionPercent = ended
      ? 100
      : Math.min(100, Math.round((playedMs / input.mediaDurationMs) * 1000) / 10);
  };
  const show = (rung: number | undefined): void => {
    displayed = rung;
    displayedScale = rung === undefined ? undefined : scaleOf(ladder.rungs[rung], player);
  };

  const viewstart = emit('viewstart', 0);
  viewstart.playerName = PLAYER_NAME;
  viewstart.playerVersion = `fast-${outcome.policy}`.slice(0, 32);
  viewstart.mediaDurationMs = input.mediaDurationMs;
  viewstart.viewportWidth = player.width;
  viewstart.viewportHeight = player.height;
  viewstart.devicePixelRatio = 1;

  // Cursors over the three streams; at one instant: model events, then a switch, then a tick,
  // and viewend last.
  let eventIndex = 0;
  let switchIndex = 0;
  let switchAtMs = Number.POSITIVE_INFINITY;
  let switchBoundaryMs = 0;
  const nextSwitch = (): void => {
    const run = runs[switchIndex];
    if (firstFrameMs === undefined || !run || switchIndex >= runs.length - 1) {
      switchAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    switchBoundaryMs += run.playMs;
    switchAtMs = wallOf(switchBoundaryMs, firstFrameMs, stalls);
  };
  nextSwitch();
  let beatAtMs = firstFrameMs === undefined ? Number.POSITIVE_INFINITY : firstFrameMs + intervalMs;

  let from: { kbps: number; width: number; height: number } | undefined;
  for (;;) {
    const event = events[eventIndex];
    const eventAtMs = event === undefined ? Number.POSITIVE_INFINITY : event.atMs;
    const eventFirst =
      event !== undefined &&
      (event.type === 'viewend'
        ? eventAtMs < switchAtMs && eventAtMs <= beatAtMs && (eventAtMs < beatAtMs || beatAtMs >= endMs)
        : eventAtMs <= switchAtMs && eventAtMs <= beatAtMs);
    if (!eventFirst && switchAtMs <= beatAtMs && switchAtMs < Number.POSITIVE_INFINITY) {
      // heartbeat-controller readPicture: the interval so far was on the previous rung.
      advance(switchAtMs);
      heartbeatFields(emit('heartbeat', switchAtMs), false);
      switchIndex++;
      show(runs[switchIndex]?.rung);
      nextSwitch();
      continue;
    }
    if (!eventFirst && beatAtMs < endMs) {
      advance(beatAtMs);
      heartbeatFields(emit('heartbeat', beatAtMs), false);
      beatAtMs += intervalMs;
      continue;
    }
    if (event === undefined) break;
    eventIndex++;
    advance(event.atMs);
    switch (event.type) {
      case 'playrequest':
        emit('playrequest', event.atMs);
        break;
      case 'renditionchange': {
        const beacon = emit('renditionchange', event.atMs);
        const kbps = Math.round(event.bitrateKbps);
        beacon.bitrateKbps = kbps;
        beacon.width = event.width;
        beacon.height = event.height;
        if (from) {
          beacon.fromBitrateKbps = from.kbps;
          beacon.fromWidth = from.width;
          beacon.fromHeight = from.height;
        }
        beacon.switchReason = event.switchReason;
        from = { kbps, width: event.width, height: event.height };
        break;
      }
      case 'firstframe':
        emit('firstframe', event.atMs).startupTimeMs = event.startupTimeMs;
        started = true;
        show(runs[0]?.rung);
        break;
      case 'rebufferstart':
        emit('rebufferstart', event.atMs);
        stalled = true;
        break;
      case 'rebufferend':
        emit('rebufferend', event.atMs).rebufferDurationMs = event.rebufferDurationMs;
        stalled = false;
        break;
      case 'viewend': {
        const beacon = emit('viewend', event.atMs);
        heartbeatFields(beacon, event.endReason === 'ended');
        beacon.mediaDurationMs = input.mediaDurationMs;
        beacon.requestCount = outcome.requestCount;
        beacon.requestFailures = 0;
        beacon.bytesDownloaded = outcome.bytesDownloaded;
        break;
      }
    }
  }
  return beacons;
}

/**
 * The rung on screen as runs in download order; each rung's played time split over its runs by
 * how long each was downloaded (see the file comment). Runs that got no played time are dropped.
 */
function displayedRuns(outcome: SessionOutcome, endMs: number): Run[] {
  const changes: { rung: number; spanMs: number }[] = [];
  const events = outcome.events;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event?.type !== 'renditionchange') continue;
    const last = changes[changes.length - 1];
    if (last) last.spanMs = Math.max(0, event.atMs - (endMs - last.spanMs));
    // Provisionally up to the end; the next change trims it.
    changes.push({ rung: event.rung, spanMs: Math.max(0, endMs - event.atMs) });
  }
  const byRung = outcome.playTimeMsByRung;
  const spans = byRung.map(() => 0);
  const counts = byRung.map(() => 0);
  for (const change of changes) {
    spans[change.rung] = (spans[change.rung] ?? 0) + change.spanMs;
    counts[change.rung] = (counts[change.rung] ?? 0) + 1;
  }
  const left = byRung.slice();
  const merged: Run[] = [];
  for (const change of changes) {
    const totalMs = byRung[change.rung] ?? 0;
    if (totalMs <= 0) continue;
    const remaining = left[change.rung] ?? 0;
    const seen = (counts[change.rung] ?? 1) - 1;
    counts[change.rung] = seen;
    const rungSpans = spans[change.rung] ?? 0;
    // The rung's last run takes what is left, so its runs add up to its played time exactly.
    const share =
      seen === 0
        ? remaining
        : Math.min(remaining, Math.round(rungSpans > 0 ? (totalMs * change.spanMs) / rungSpans : 0));
    left[change.rung] = remaining - share;
    if (share <= 0) continue;
    const last = merged[merged.length - 1];
    if (last && last.rung === change.rung) last.playMs += share;
    else merged.push({ rung: change.rung, playMs: share });
  }
  return merged;
}

/** Stalls after the first frame as (played time when it began, its length). */
function stallsOf(
  events: readonly TimelineEvent[],
  firstFrameMs: number,
): { atPlayMs: number; durationMs: number }[] {
  const stalls: { atPlayMs: number; durationMs: number }[] = [];
  let stalledSoFarMs = 0;
  for (const event of events) {
    if (event.type !== 'rebufferend') continue;
    const startMs = event.atMs - event.rebufferDurationMs;
    stalls.push({ atPlayMs: startMs - firstFrameMs - stalledSoFarMs, durationMs: event.rebufferDurationMs });
    stalledSoFarMs += event.rebufferDurationMs;
  }
  return stalls;
}

/** Wall time (session ms) at which `playMs` of playback has happened; a boundary met in a stall shows after it. */
function wallOf(
  playMs: number,
  firstFrameMs: number,
  stalls: readonly { atPlayMs: number; durationMs: number }[],
): number {
  let wallMs = firstFrameMs + playMs;
  for (const stall of stalls) if (stall.atPlayMs <= playMs) wallMs += stall.durationMs;
  return wallMs;
}

/**
 * Up- or downscaled as player-sdk playback-meter `scaleOf` judges it (object-fit: contain, device
 * pixel ratio 1 here, within 1 % counts as its own size).
 */
function scaleOf(
  rung: { width: number; height: number } | undefined,
  player: { width: number; height: number },
): 'up' | 'down' | 'same' | undefined {
  if (!rung || rung.width <= 0 || rung.height <= 0) return undefined;
  const factor = Math.min(player.width / rung.width, player.height / rung.height);
  if (factor > 1.01) return 'up';
  if (factor < 0.99) return 'down';
  return 'same';
}
