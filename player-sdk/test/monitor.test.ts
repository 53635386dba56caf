import type { Beacon } from '@streamloop/core/schemas/beacon';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VIEWER_ID_KEY } from '../src/ids.js';
import { type MonitorOptions, monitor } from '../src/monitor.js';
import {
  createFakeClock,
  createMemoryStorage,
  FakePage,
  FakePlayer,
  FakeQualityLevels,
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

  it('sends a heartbeat every 10 s of watching with the watch time since the last one', () => {
    const { player, sent, qoe } = setup();
    startView(player);
    watch(player, 10);
    player.pause();
    vi.advanceTimersByTime(60_000); // paused: no heartbeats, no watch time
    player.startPlaying();
    watch(player, 12);
    qoe.flush();
    const heartbeats = sent.filter((b) => b.event === 'heartbeat').map((b) => b.watchTimeMs);
    expect(heartbeats).toEqual([10_000, 10_000]);
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

  it('refuses a video id the collector would reject', () => {
    expect(() => setup({ videoId: 'not a valid id!' })).toThrow(/invalid videoId/);
  });
});
