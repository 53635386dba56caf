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
 * Every beacon is `synthetic: true` with its cohort and network class.
 */
import type { Beacon, BeaconEvent } from '@streamloop/core/schemas/beacon';
import type { SessionPlan } from '@streamloop/playback-model/audience';
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { SessionOutcome, TimelineEvent } from '@streamloop/playback-model/player-model';

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

type Point =
  | { kind: 'event'; atMs: number; order: number; event: TimelineEvent }
  | { kind: 'switch'; atMs: number; order: number; rung: number }
  | { kind: 'beat'; atMs: number; order: number };

export function sessionBeacons(input: SessionBeaconInput): Beacon[] {
  const { outcome, ladder, ids, plan } = input;
  const intervalMs = input.heartbeatIntervalMs ?? SDK_HEARTBEAT_INTERVAL_MS;
  const player = plan.viewport;
  const beacons: Beacon[] = [];
  const rungKbps = (rung: number): number => Math.round((ladder.rungs[rung]?.bandwidth ?? 0) / 1000);

  let playedMs = 0;
  const emit = (event: BeaconEvent, atMs: number, fields: Partial<Beacon> = {}): void => {
    const beacon: Beacon = {
      schema: 'qoe.beacon.v1',
      beaconId: `${ids.beaconIdPrefix}.${beacons.length}`,
      event,
      sessionId: ids.sessionId,
      viewId: ids.viewId,
      viewerId: ids.viewerId,
      videoId: input.videoId,
      seq: beacons.length,
      clientTimeMs: Math.round(input.startMs + atMs),
      monotonicMs: atMs,
      playheadMs: Math.round(playedMs),
      synthetic: true,
      cohort: plan.cohort,
      networkClass: input.networkClass,
    };
    if (input.playback.variant !== undefined) beacon.variant = input.playback.variant;
    if (input.playback.ladderId !== undefined) beacon.ladderId = input.playback.ladderId;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) (beacon as unknown as Record<string, unknown>)[key] = value;
    }
    beacons.push(beacon);
  };

  const events = outcome.events;
  const firstFrame = events.find((event) => event.type === 'firstframe');
  const viewEnd = events.find((event) => event.type === 'viewend');
  const endMs = viewEnd?.atMs ?? outcome.sessionDurationMs;
  const runs = displayedRuns(outcome, endMs);

  // Every instant a beacon leaves, in order: the model's events, picture switches, heartbeat ticks.
  const points: Point[] = events.map((event, order) => ({ kind: 'event', atMs: event.atMs, order, event }));
  if (firstFrame) {
    const stalls = stallsOf(events, firstFrame.atMs);
    let boundaryMs = 0;
    runs.slice(0, -1).forEach((run, index) => {
      boundaryMs += run.playMs;
      const next = runs[index + 1];
      if (next)
        points.push({
          kind: 'switch',
          atMs: wallOf(boundaryMs, firstFrame.atMs, stalls),
          order: index,
          rung: next.rung,
        });
    });
    for (let atMs = firstFrame.atMs + intervalMs, k = 0; atMs < endMs; atMs += intervalMs, k++) {
      points.push({ kind: 'beat', atMs, order: k });
    }
  }
  const rank = (point: Point): number =>
    point.kind === 'event' ? (point.event.type === 'viewend' ? 3 : 0) : point.kind === 'switch' ? 1 : 2;
  points.sort((a, b) => a.atMs - b.atMs || rank(a) - rank(b) || a.order - b.order);

  // The heartbeat meter: time since the previous heartbeat, split as the SDK's playback meter does.
  let started = false;
  let stalled = false;
  let cursorMs = 0;
  let displayed: number | undefined;
  const pending = { watchTimeMs: 0, playTimeMs: 0, upscaleTimeMs: 0, downscaleTimeMs: 0 };
  const advance = (toMs: number): void => {
    const deltaMs = Math.max(0, toMs - cursorMs);
    cursorMs = Math.max(cursorMs, toMs);
    if (!started || deltaMs === 0) return;
    pending.watchTimeMs += deltaMs;
    if (stalled) return;
    pending.playTimeMs += deltaMs;
    playedMs += deltaMs;
    const scale = displayed === undefined ? undefined : scaleOf(ladder.rungs[displayed], player);
    if (scale === 'up') pending.upscaleTimeMs += deltaMs;
    if (scale === 'down') pending.downscaleTimeMs += deltaMs;
  };
  const take = (ended: boolean): Partial<Beacon> => {
    const taken = { ...pending, pauseTimeMs: 0 };
    pending.watchTimeMs = pending.playTimeMs = pending.upscaleTimeMs = pending.downscaleTimeMs = 0;
    const rung = displayed === undefined ? undefined : ladder.rungs[displayed];
    return {
      ...taken,
      ...(rung && displayed !== undefined
        ? { bitrateKbps: rungKbps(displayed), width: rung.width, height: rung.height }
        : {}),
      playerWidth: player.width,
      playerHeight: player.height,
      completionPercent: ended
        ? 100
        : Math.min(100, Math.round((playedMs / input.mediaDurationMs) * 1000) / 10),
    };
  };

  emit('viewstart', 0, {
    playerName: PLAYER_NAME,
    playerVersion: `fast-${outcome.policy}`.slice(0, 32),
    mediaDurationMs: input.mediaDurationMs,
    viewportWidth: player.width,
    viewportHeight: player.height,
    devicePixelRatio: 1,
  });
  let downloading: { kbps: number; width: number; height: number } | undefined;
  for (const point of points) {
    advance(point.atMs);
    if (point.kind === 'beat') {
      emit('heartbeat', point.atMs, take(false));
      continue;
    }
    if (point.kind === 'switch') {
      // heartbeat-controller readPicture: the interval so far was on the previous rung.
      emit('heartbeat', point.atMs, take(false));
      displayed = point.rung;
      continue;
    }
    const event = point.event;
    switch (event.type) {
      case 'playrequest':
        emit('playrequest', event.atMs);
        break;
      case 'renditionchange': {
        const to = { kbps: Math.round(event.bitrateKbps), width: event.width, height: event.height };
        emit('renditionchange', event.atMs, {
          bitrateKbps: to.kbps,
          width: to.width,
          height: to.height,
          fromBitrateKbps: downloading?.kbps,
          fromWidth: downloading?.width,
          fromHeight: downloading?.height,
          switchReason: event.switchReason,
        });
        downloading = to;
        break;
      }
      case 'firstframe':
        emit('firstframe', event.atMs, { startupTimeMs: event.startupTimeMs });
        started = true;
        displayed = runs[0]?.rung;
        break;
      case 'rebufferstart':
        emit('rebufferstart', event.atMs);
        stalled = true;
        break;
      case 'rebufferend':
        emit('rebufferend', event.atMs, { rebufferDurationMs: event.rebufferDurationMs });
        stalled = false;
        break;
      case 'viewend':
        emit('viewend', event.atMs, {
          ...take(event.endReason === 'ended'),
          mediaDurationMs: input.mediaDurationMs,
          requestCount: outcome.requestCount,
          requestFailures: 0,
          bytesDownloaded: outcome.bytesDownloaded,
        });
        break;
    }
  }
  return beacons;
}

/**
 * The rung on screen as runs in download order; each rung's played time split over its runs by
 * how long each was downloaded (see the file comment). Runs that got no played time are dropped.
 */
function displayedRuns(outcome: SessionOutcome, endMs: number): Run[] {
  const changes = outcome.events.filter(
    (event): event is Extract<TimelineEvent, { type: 'renditionchange' }> => event.type === 'renditionchange',
  );
  const downloads = changes.map((change, index) => ({
    rung: change.rung,
    spanMs: Math.max(0, (changes[index + 1]?.atMs ?? endMs) - change.atMs),
  }));
  const runs: Run[] = downloads.map((download) => ({ rung: download.rung, playMs: 0 }));
  outcome.playTimeMsByRung.forEach((totalMs, rung) => {
    if (totalMs <= 0) return;
    const mine = downloads.map((download, index) => ({ ...download, index })).filter((d) => d.rung === rung);
    if (mine.length === 0) return;
    const spans = mine.reduce((sum, d) => sum + d.spanMs, 0);
    let left = totalMs;
    mine.forEach((download, k) => {
      const share =
        k === mine.length - 1
          ? left
          : Math.round(spans > 0 ? (totalMs * download.spanMs) / spans : totalMs / mine.length);
      const run = runs[download.index];
      if (run) run.playMs = Math.min(share, left);
      left -= Math.min(share, left);
    });
  });
  const merged: Run[] = [];
  for (const run of runs) {
    if (run.playMs <= 0) continue;
    const last = merged[merged.length - 1];
    if (last && last.rung === run.rung) last.playMs += run.playMs;
    else merged.push({ ...run });
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
