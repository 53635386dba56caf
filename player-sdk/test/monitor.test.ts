import type { Beacon } from '@streamloop/core/schemas/beacon';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VIEWER_ID_KEY } from '../src/ids.js';
import { type MonitorOptions, monitor, type RecommendationItem } from '../src/monitor.js';
import {
  createFakeClock,
  createMemoryStorage,
  FakePage,
  FakePlayer,
  FakeQualityLevels,
  FakeVhs,
  FakeVideo,
  FakeXhr,
  useFakeTime,
  validateBeacon,
} from './helpers.js';

/** A monitor on a fake player whose beacons land in `sent`, as the collector would receive them. */
function setup(overrides: Partial<MonitorOptions> = {}, player = new FakePlayer()) {
  const page = new FakePage();
  const sent: Beacon[] = [];
  const storage = createMemoryStorage();
  const record = (body: string) => sent.push(...(JSON.parse(body) as Beacon[]));
  const qoe = monitor(player, {
    videoId: 'video-0001',
    collectorUrl: '/v1/beacons',
    clock: createFakeClock(),
    page,
    storage,
    frames: { next: () => () => {} },
    transport: {
      fetch: async (_url, init) => {
        record(String(init.body));
        return { status: 202 };
      },
      sendBeacon: (_url, blob) => {
        void blob.text().then(record);
        return true;
      },
    },
    ...overrides,
  });
  const events = () => sent.map((b) => b.event);
  return { player, page, sent, storage, qoe, events };
}

/** VHS announcing why it switches, as a `usage` event on the tech. */
function emitUsage(player: FakePlayer, name: string): void {
  player.techEvents.fire('usage', { type: 'usage', name });
}

/** Playback starts the way a browser does it; the first frame is up at the current instant. */
function startView(player: FakePlayer): void {
  player.startPlaying();
  player.advance(0.25);
}

/** The viewer watches `seconds` more: time passes and the playhead follows. */
function watch(player: FakePlayer, seconds: number): void {
  for (let t = 0; t < seconds * 4; t++) {
    vi.advanceTimersByTime(250);
    player.advance(0.25);
  }
}

describe('monitor', () => {
  beforeEach(useFakeTime);
  afterEach(() => vi.useRealTimers());

  it('sends a complete view whose beacons all pass the collector schema, in sequence from 0', async () => {
    const { player, page, sent, events, qoe } = setup({ metadata: { variant: 'ladder-b' } });
    startView(player);
    watch(player, 2);
    player.fire('waiting');
    vi.advanceTimersByTime(600);
    player.advance(0.25);
    watch(player, 1);
    page.hide('pagehide');
    await vi.waitFor(() => expect(events()).toContain('viewend'));

    expect(events()).toEqual([
      'viewstart',
      'playrequest',
      'firstframe',
      'rebufferstart',
      'rebufferend',
      'viewend',
    ]);
    for (const beacon of sent) expect(validateBeacon(beacon)).toEqual({ ok: true, value: beacon });
    expect(sent.map((b) => b.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(
      new Set(sent.map((b) => `${b.sessionId}/${b.viewId}/${b.viewerId}/${b.videoId}/${b.variant}`)),
    ).toEqual(new Set([`${qoe.sessionId}/${qoe.viewId}/${qoe.viewerId}/video-0001/ladder-b`]));
    expect(new Set(sent.map((b) => b.beaconId)).size).toBe(sent.length);
    expect(sent.find((b) => b.event === 'rebufferend')?.rebufferDurationMs).toBe(600);
    expect(sent.find((b) => b.event === 'viewend')?.playheadMs).toBe(3500);
  });

  it("counts a stall the player unsticks with its own small seek as one stall, not as the viewer's seek", async () => {
    const { player, sent, events, qoe } = setup();
    startView(player);
    watch(player, 2);
    player.fire('waiting');
    // VHS' playback watcher skips a gap of a few frames 7 ms into the stall; the data arrives 11 s later.
    vi.advanceTimersByTime(7);
    player.seekTo(2.25 + 0.04);
    vi.advanceTimersByTime(11_000);
    player.advance(0.25);
    watch(player, 1);
    // A viewer's seek during a later stall still ends it and is reported as a seek.
    player.fire('waiting');
    vi.advanceTimersByTime(500);
    player.seekTo(30);
    vi.advanceTimersByTime(300);
    player.advance(0.25);
    qoe.flush();
    await vi.waitFor(() => expect(events()).toContain('seekend'));

    expect(events().filter((e) => e !== 'heartbeat')).toEqual([
      'viewstart',
      'playrequest',
      'firstframe',
      'rebufferstart',
      'rebufferend',
      'rebufferstart',
      'rebufferend',
      'seekstart',
      'seekend',
    ]);
    const stalls = sent.filter((b) => b.event === 'rebufferend').map((b) => b.rebufferDurationMs);
    expect(stalls).toEqual([11_007, 500]);
    expect(sent.find((b) => b.event === 'seekend')?.seekDurationMs).toBe(300);
  });

  it('keeps one anonymous viewer id per browser', () => {
    const first = setup();
    const stored = first.storage.getItem(VIEWER_ID_KEY);
    expect(stored).toBe(first.qoe.viewerId);
    const second = monitor(new FakePlayer(), {
      videoId: 'video-0002',
      collectorUrl: '/v1/beacons',
      storage: first.storage,
      page: new FakePage(),
    });
    expect(second.viewerId).toBe(stored);
    expect(second.sessionId).not.toBe(first.qoe.sessionId);
  });

  it('sends a heartbeat every 10 s of watching with the counters since the last one', async () => {
    const { player, sent, qoe } = setup();
    startView(player);
    watch(player, 10);
    player.pause();
    vi.advanceTimersByTime(60_000); // paused: no heartbeats, no watch time
    player.startPlaying();
    watch(player, 12);
    qoe.flush();
    await vi.waitFor(() => expect(sent.filter((b) => b.event === 'heartbeat')).toHaveLength(2));
    const heartbeats = sent
      .filter((b) => b.event === 'heartbeat')
      .map(({ watchTimeMs, playTimeMs, pauseTimeMs }) => ({ watchTimeMs, playTimeMs, pauseTimeMs }));
    expect(heartbeats).toEqual([
      { watchTimeMs: 10_000, playTimeMs: 10_000, pauseTimeMs: 0 },
      { watchTimeMs: 10_000, playTimeMs: 10_000, pauseTimeMs: 60_000 },
    ]);
  });

  it('puts the unreported watch time on viewend, and ends a view once even if hidden then unloaded', async () => {
    const { player, page, sent, events } = setup();
    startView(player);
    watch(player, 4);
    page.hide('hidden');
    page.hide('pagehide');
    await vi.waitFor(() => expect(events()).toContain('viewend'));
    expect(events().filter((e) => e === 'viewend')).toHaveLength(1);
    expect(sent.find((b) => b.event === 'viewend')?.watchTimeMs).toBe(4000);
  });

  it('continues the same view when the viewer comes back and plays on, and can end it again', async () => {
    const { player, page, sent, events } = setup();
    startView(player);
    watch(player, 2);
    page.hide('hidden');
    page.show();
    watch(player, 2);
    player.fire('ended');
    vi.advanceTimersByTime(5000);
    await vi.waitFor(() => expect(events().filter((e) => e === 'viewend')).toHaveLength(2));
    const seqs = sent.map((b) => b.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(new Set(sent.map((b) => b.viewId)).size).toBe(1);
  });

  it('reports each rendition switch with where it came from and the reason VHS gave', () => {
    const player = new FakePlayer();
    player.video = new FakeVideo();
    player.levels = new FakeQualityLevels([
      { id: '0', bitrate: 985_600, width: 640, height: 360 },
      { id: '1', bitrate: 3_220_800, width: 1280, height: 720 },
    ]);
    const { sent, qoe } = setup({}, player);
    player.levels.select(1);
    emitUsage(player, 'vhs-rendition-change-exclude');
    player.levels.select(0);
    qoe.flush();
    const switches = sent
      .filter((b) => b.event === 'renditionchange')
      .map(({ bitrateKbps, height, fromBitrateKbps, fromHeight, switchReason }) => ({
        bitrateKbps,
        height,
        fromBitrateKbps,
        fromHeight,
        switchReason,
      }));
    expect(switches).toEqual([
      {
        bitrateKbps: 3221,
        height: 720,
        fromBitrateKbps: undefined,
        fromHeight: undefined,
        switchReason: 'initial',
      },
      { bitrateKbps: 986, height: 360, fromBitrateKbps: 3221, fromHeight: 720, switchReason: 'exclude' },
    ]);
    expect(qoe.getStats()).toMatchObject({ renditionSwitches: 1, bitrateKbps: 986, height: 360 });
  });

  it('sends the interval at once when the picture on screen changes rung, with its scaling and frames', async () => {
    const player = new FakePlayer();
    const video = new FakeVideo();
    player.video = video;
    player.levels = new FakeQualityLevels([
      { id: '0', bitrate: 985_600, width: 640, height: 360 },
      { id: '1', bitrate: 3_220_800, width: 1280, height: 720 },
    ]);
    const { sent, qoe, page } = setup({}, player);
    Object.assign(video, { videoWidth: 1280, videoHeight: 720, clientWidth: 640, clientHeight: 360 });
    player.fire('loadedmetadata');
    startView(player);
    video.totalVideoFrames = 120;
    video.droppedVideoFrames = 2;
    watch(player, 4);
    Object.assign(video, { videoWidth: 640, videoHeight: 360, clientWidth: 1280, clientHeight: 720 });
    player.fire('resize');
    video.totalVideoFrames = 300;
    watch(player, 5);
    expect(qoe.getStats()).toMatchObject({ playTimeMs: 9000, upscaleTimeMs: 5000, downscaleTimeMs: 4000 });
    page.hide('pagehide');
    await vi.waitFor(() => expect(sent.map((b) => b.event)).toContain('viewend'));
    const intervals = sent
      .filter((b) => b.event === 'heartbeat' || b.event === 'viewend')
      .map((b) => ({
        event: b.event,
        bitrateKbps: b.bitrateKbps,
        playTimeMs: b.playTimeMs,
        upscaleTimeMs: b.upscaleTimeMs,
        downscaleTimeMs: b.downscaleTimeMs,
        decodedFrames: b.decodedFrames,
        droppedFrames: b.droppedFrames,
      }));
    expect(intervals).toEqual([
      {
        event: 'heartbeat',
        bitrateKbps: 3221,
        playTimeMs: 4000,
        upscaleTimeMs: 0,
        downscaleTimeMs: 4000,
        decodedFrames: 120,
        droppedFrames: 2,
      },
      {
        event: 'viewend',
        bitrateKbps: 986,
        playTimeMs: 5000,
        upscaleTimeMs: 5000,
        downscaleTimeMs: 0,
        decodedFrames: 180,
        droppedFrames: 0,
      },
    ]);
  });

  it('records no startup time when a fatal error comes before the first frame', () => {
    const { player, sent, qoe } = setup();
    player.startPlaying();
    player.mediaError = { code: 2, message: 'HLS playlist request error' };
    player.fire('error');
    player.advance(1);
    qoe.flush();
    expect(sent.map((b) => b.event)).toEqual(['viewstart', 'playrequest', 'error']);
    expect(qoe.getStats()).toMatchObject({ state: 'failed', startupTimeMs: undefined, errorCount: 1 });
  });

  it('reports failed requests as non-fatal errors, the one behind a fatal error included, at most 20', async () => {
    const player = new FakePlayer();
    player.video = new FakeVideo();
    player.vhs = new FakeVhs();
    const { sent, qoe } = setup({}, player);
    const fail = async (status: number) => {
      const options = player.vhs?.request('https://cdn.test/media/v/master.m3u8', 'hls-playlist');
      const xhr = new FakeXhr();
      options?.beforeSend?.(xhr as unknown as XMLHttpRequest);
      await xhr.respond(status, 0);
    };
    player.mediaError = { code: 2, message: 'HLS playlist request error' };
    player.fire('error');
    await fail(404);
    for (let i = 0; i < 25; i++) await fail(503);
    qoe.flush();
    await vi.waitFor(() => expect(sent.filter((b) => b.event === 'error')).toHaveLength(21));
    const errors = sent.filter((b) => b.event === 'error');
    expect(errors.slice(0, 2).map(({ errorCode, fatal }) => ({ errorCode, fatal }))).toEqual([
      { errorCode: 'MEDIA_ERR_NETWORK', fatal: true },
      { errorCode: 'HTTP_404', fatal: false },
    ]);
    expect(errors[1]?.errorMessage).toBe('hls-playlist request failed with HTTP 404');
    expect(qoe.getStats()).toMatchObject({ requestCount: 26, requestFailures: 26, errorCount: 21 });
  });

  it('says on every later beacon how many beacons the full queue had to drop', async () => {
    const refused: string[] = [];
    const { player, sent, qoe } = setup({
      transport: {
        maxQueue: 3,
        fetch: async (_url, init) => {
          if (refused.length < 1) {
            refused.push(String(init.body));
            return { status: 503 };
          }
          sent.push(...(JSON.parse(String(init.body)) as Beacon[]));
          return { status: 202 };
        },
      },
    });
    qoe.flush(); // viewstart goes out and is refused
    await vi.advanceTimersByTimeAsync(0);
    startView(player); // playrequest, firstframe
    player.pause();
    player.startPlaying(); // pause, play: the queue of 3 overflows
    await vi.advanceTimersByTimeAsync(60_000);
    expect(qoe.getStats().beacons.dropped).toBeGreaterThan(0);
    expect(sent.at(-1)?.droppedBeacons).toBe(qoe.getStats().beacons.dropped);
  });

  it('reports rendition switches from the quality levels VHS maintains', () => {
    const player = new FakePlayer();
    player.levels = new FakeQualityLevels([
      { id: '0', bitrate: 800_000, width: 640, height: 360 },
      { id: '1', bitrate: 2_500_000, width: 1280, height: 720 },
    ]);
    const { sent, qoe } = setup({}, player);
    player.levels.select(0);
    player.levels.select(0);
    player.levels.select(1);
    qoe.flush();
    expect(
      sent
        .filter((b) => b.event === 'renditionchange')
        .map(({ bitrateKbps, width, height }) => ({ bitrateKbps, width, height })),
    ).toEqual([
      { bitrateKbps: 800, width: 640, height: 360 },
      { bitrateKbps: 2500, width: 1280, height: 720 },
    ]);
  });

  it('reports a player error as a fatal error beacon with the media error name', () => {
    const { player, sent, qoe } = setup();
    player.mediaError = { code: 4, message: 'No compatible source was found for this media.' };
    player.fire('error');
    qoe.flush();
    expect(sent.at(-1)).toMatchObject({
      event: 'error',
      errorCode: 'MEDIA_ERR_SRC_NOT_SUPPORTED',
      errorMessage: 'No compatible source was found for this media.',
      fatal: true,
    });
  });

  it('on destroy ends the view, sends what is queued and leaves no listener or timer behind', async () => {
    const { player, page, events, qoe } = setup();
    startView(player);
    watch(player, 1);
    qoe.destroy();
    await vi.waitFor(() => expect(events().at(-1)).toBe('viewend'));
    expect(player.listenerCount()).toBe(0);
    expect(player.levels?.listenerCount() ?? 0).toBe(0);
    expect(page.subscribed()).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('marks every beacon of a simulated view synthetic with its cohort and network class, for good', async () => {
    const { player, page, sent, events, qoe } = setup({
      metadata: { synthetic: true, cohort: 'commuters', networkClass: '4g' },
    });
    startView(player);
    // An untyped caller cannot unmark the view; a later label update is still taken.
    qoe.setMetadata({ synthetic: false as unknown as true, variant: 'b' });
    watch(player, 1);
    page.hide('pagehide');
    await vi.waitFor(() => expect(events()).toContain('viewend'));
    expect(sent.map((b) => [b.event, b.synthetic, b.cohort, b.networkClass])).toEqual(
      ['viewstart', 'playrequest', 'firstframe', 'viewend'].map((e) => [e, true, 'commuters', '4g']),
    );
    expect(sent.at(-1)?.variant).toBe('b');
    for (const beacon of sent) expect(validateBeacon(beacon)).toEqual({ ok: true, value: beacon });
  });

  it("leaves the synthetic fields off a real viewer's beacons, even a cohort given without the mark", async () => {
    // A cohort without `synthetic: true` is a half-marked beacon the collector would refuse.
    const { player, page, sent, events } = setup({ metadata: { cohort: 'commuters', networkClass: '4g' } });
    startView(player);
    page.hide('pagehide');
    await vi.waitFor(() => expect(events()).toContain('viewend'));
    for (const beacon of sent) {
      expect(beacon).not.toHaveProperty('synthetic');
      expect(beacon).not.toHaveProperty('cohort');
      expect(beacon).not.toHaveProperty('networkClass');
    }
  });

  it('makes no beacon on the path of play() or the first frame: they are made in a later task, with the time and playhead of the event', () => {
    const { player, qoe } = setup();
    const made: Beacon[] = [];
    qoe.onBeacon((beacon) => made.push(beacon));
    expect(qoe.getStats().beacons.pending).toBe(1); // viewstart, made with the monitor
    const requestedAt = Date.now();
    qoe.playRequested();
    player.startPlaying();
    vi.setSystemTime(requestedAt + 180);
    player.advance(0.25); // the first frame: the playhead moves
    expect(made).toEqual([]);
    expect(qoe.getStats().startupTimeMs).toBe(180);
    expect(qoe.getStats().beacons.pending).toBe(3); // viewstart, and two events stamped

    vi.setSystemTime(requestedAt + 400);
    vi.advanceTimersByTime(0);
    expect(made.map((b) => [b.event, b.clientTimeMs, b.playheadMs, b.startupTimeMs])).toEqual([
      ['playrequest', requestedAt, 0, undefined],
      ['firstframe', requestedAt + 180, 250, 180],
    ]);
    expect(made[1]?.monotonicMs).toBe((made[0]?.monotonicMs ?? 0) + 180);
  });

  it('refuses a video id the collector would reject', () => {
    expect(() => setup({ videoId: 'not a valid id!' })).toThrow(/invalid videoId/);
  });
});

describe('monitor: recommendations ("Up next")', () => {
  beforeEach(useFakeTime);
  afterEach(() => vi.useRealTimers());

  /** What `navigator.sendBeacon` was handed, read in the same task (a navigation may follow at once). */
  function sendBeaconLog() {
    const handed: { events: () => Promise<string[]> }[] = [];
    const sendBeacon = (_url: string, blob: Blob) => {
      const body = blob.text();
      handed.push({ events: async () => (JSON.parse(await body) as Beacon[]).map((b) => b.event) });
      return true;
    };
    return { handed, sendBeacon };
  }

  it('sends one impression per title shown and a click on the current view, with the title, reason and slot', async () => {
    const { player, page, sent, events, qoe } = setup();
    startView(player);
    qoe.recommendation('impression', { videoId: 'video-0002', reason: 'co-watch', position: 0 });
    qoe.recommendation('impression', { videoId: 'video-0003', reason: 'popular', position: 1 });
    qoe.recommendation('click', { videoId: 'video-0003', reason: 'popular', position: 1 });
    page.hide('pagehide');
    await vi.waitFor(() => expect(events()).toContain('viewend'));

    const recommended = sent.filter((b) => b.event.startsWith('recommendation'));
    expect(
      recommended.map((b) => [
        b.event,
        b.recommendedVideoId,
        b.recommendationReason,
        b.recommendationPosition,
      ]),
    ).toEqual([
      ['recommendationimpression', 'video-0002', 'co-watch', 0],
      ['recommendationimpression', 'video-0003', 'popular', 1],
      ['recommendationclick', 'video-0003', 'popular', 1],
    ]);
    for (const beacon of recommended) {
      expect(validateBeacon(beacon)).toEqual({ ok: true, value: beacon });
      expect(beacon).toMatchObject({ videoId: 'video-0001', viewId: qoe.viewId });
    }
    // Only the recommendation beacons say which title: the view's own beacons do not.
    expect(sent.filter((b) => b.recommendedVideoId !== undefined)).toHaveLength(3);
  });

  it('hands a click to sendBeacon in the same task, so a navigation right after it loses nothing', async () => {
    const { handed, sendBeacon } = sendBeaconLog();
    const { player, qoe } = setup({ transport: { sendBeacon, fetch: async () => ({ status: 202 }) } });
    startView(player);
    qoe.recommendation('impression', { videoId: 'video-0002', reason: 'co-watch', position: 0 });
    expect(handed).toHaveLength(0); // impressions travel with the view's next batch
    qoe.recommendation('click', { videoId: 'video-0002', reason: 'co-watch', position: 0 });
    // No timer has run: what the browser holds now is what survives `location.href = …`.
    expect(handed).toHaveLength(1);
    expect(await handed[0]?.events()).toEqual([
      'viewstart',
      'playrequest',
      'firstframe',
      'recommendationimpression',
      'recommendationclick',
    ]);
  });

  it('puts the reason of the recommendation the view began from on its viewstart only', async () => {
    const { player, page, sent, events } = setup({ recommendationReason: 'co-watch' });
    startView(player);
    watch(player, 1);
    page.hide('pagehide');
    await vi.waitFor(() => expect(events()).toContain('viewend'));
    expect(sent.map((b) => [b.event, b.recommendationReason])).toEqual([
      ['viewstart', 'co-watch'],
      ['playrequest', undefined],
      ['firstframe', undefined],
      ['viewend', undefined],
    ]);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['an unknown action', 'view', { videoId: 'video-0002', reason: 'popular', position: 0 }, /action "view"/],
    ['no item', 'click', undefined, /videoId undefined/],
    [
      'a video id the collector would reject',
      'click',
      { videoId: '<img>', reason: 'popular', position: 0 },
      /videoId "<img>"/,
    ],
    [
      'an unknown reason',
      'impression',
      { videoId: 'video-0002', reason: 'trending', position: 0 },
      /reason "trending"/,
    ],
    [
      'a name every object inherits as reason',
      'impression',
      { videoId: 'video-0002', reason: 'toString', position: 0 },
      /reason "toString"/,
    ],
    [
      'a fractional slot',
      'impression',
      { videoId: 'video-0002', reason: 'popular', position: 1.5 },
      /position 1.5/,
    ],
    [
      'a slot past the row',
      'impression',
      { videoId: 'video-0002', reason: 'popular', position: 50 },
      /position 50/,
    ],
    [
      'a slot as text',
      'impression',
      { videoId: 'video-0002', reason: 'popular', position: '0' },
      /position "0"/,
    ],
  ])(
    'throws a TypeError naming the field for %s, and sends nothing for it',
    async (_case, action, item, message) => {
      const { player, qoe, page, sent, events } = setup();
      startView(player);
      const call = () => qoe.recommendation(action as 'click', item as RecommendationItem);
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
      page.hide('pagehide');
      await vi.waitFor(() => expect(events()).toContain('viewend'));
      expect(events()).toEqual(['viewstart', 'playrequest', 'firstframe', 'viewend']);
      expect(sent.every((b) => b.recommendedVideoId === undefined)).toBe(true);
    },
  );

  it('refuses a recommendationReason outside the contract', () => {
    expect(() => setup({ recommendationReason: 'trending' as 'popular' })).toThrow(
      /invalid recommendationReason "trending"/,
    );
  });
});
