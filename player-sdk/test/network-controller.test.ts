import { fromCmcdHeaders, fromCmcdQuery } from '@svta/cml-cmcd';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CmcdMode, CmcdState } from '../src/cmcd.js';
import { createNetworkController, type RequestFailure } from '../src/network-controller.js';
import { createFakeClock, FakePlayer, FakeVhs, FakeVideo, FakeXhr, useFakeTime } from './helpers.js';

const MEDIA = 'https://cdn.test/media/video-0001';
const TOKEN = '?token=abc';

/** A two-rung HLS ladder as VHS parses it, with the 720p media playlist loaded. */
function ladder(vhs: FakeVhs): void {
  vhs.playlists = {
    main: {
      playlists: [
        { attributes: { BANDWIDTH: 985_600, CODECS: 'avc1.64001e,mp4a.40.2' } },
        {
          attributes: { BANDWIDTH: 3_220_800, CODECS: 'avc1.64001f,mp4a.40.2' },
          segments: [0, 1, 2].map((i) => ({
            resolvedUri: `${MEDIA}/720p/seg_00${i}.ts${TOKEN}`,
            duration: 6,
          })),
        },
      ],
    },
  };
}

function setup(mode: CmcdMode | false = 'query', state: Partial<CmcdState> = {}) {
  const player = new FakePlayer();
  player.video = new FakeVideo();
  player.vhs = new FakeVhs();
  ladder(player.vhs);
  const failures: RequestFailure[] = [];
  const network = createNetworkController({
    player,
    clock: createFakeClock(),
    cmcd: mode,
    cmcdState: {
      sessionId: 'session-1',
      contentId: 'video-0001',
      urgent: () => false,
      takeStarved: () => false,
      bufferMs: () => 12_340,
      playbackRate: () => 1,
      format: () => 'h',
      live: () => false,
      ...state,
    },
    onFailure: (failure) => failures.push(failure),
  });
  return { player, vhs: player.vhs, network, failures };
}

const cmcdOf = (uri: string) => fromCmcdQuery(new URL(uri).searchParams);

/** VHS making a request: the hooks run, then @videojs/xhr calls beforeSend with the real XHR. */
function request(vhs: FakeVhs, uri: string, requestType: string) {
  const options = vhs.request(uri, requestType);
  const xhr = new FakeXhr();
  options.beforeSend?.(xhr as unknown as XMLHttpRequest);
  return { options, xhr };
}

describe('network controller', () => {
  beforeEach(useFakeTime);
  afterEach(() => vi.useRealTimers());

  it('puts CMCD on a segment request: the object from the manifest, the player state, the session', () => {
    const { vhs } = setup('query', { urgent: () => true, takeStarved: () => true });
    const { options } = request(vhs, `${MEDIA}/720p/seg_001.ts${TOKEN}`, 'segment');
    expect(options.uri.startsWith(`${MEDIA}/720p/seg_001.ts?token=abc&CMCD=`)).toBe(true);
    expect(cmcdOf(options.uri)).toEqual({
      sid: 'session-1',
      cid: 'video-0001',
      ot: 'av',
      sf: 'h',
      st: 'v',
      br: 3221,
      d: 6000,
      bl: 12_300,
      tb: 3221,
      mtp: 4200,
      rtp: 16_100,
      su: true,
      bs: true,
    });
  });

  it.each([
    ['hls-playlist', 'm'],
    ['segment-key', 'k'],
    ['segment-media-initialization', 'i'],
  ])('marks a %s request as object type %s, without media-only keys', (requestType, ot) => {
    const { vhs } = setup();
    const { options } = request(vhs, `${MEDIA}/720p/thing${TOKEN}`, requestType);
    const data = cmcdOf(options.uri) as Record<string, unknown>;
    expect(data).toMatchObject({ sid: 'session-1', cid: 'video-0001', ot });
    expect(data).not.toHaveProperty('bl');
    expect(data).not.toHaveProperty('rtp');
  });

  it('sends CMCD as headers in header mode, and none when off', () => {
    const headers = setup('header').vhs;
    const { options } = request(headers, `${MEDIA}/720p/seg_000.ts${TOKEN}`, 'segment');
    expect(options.uri).toBe(`${MEDIA}/720p/seg_000.ts${TOKEN}`);
    expect(fromCmcdHeaders(options.headers ?? {})).toMatchObject({ sid: 'session-1', br: 3221, ot: 'av' });
    const off = setup(false).vhs;
    expect(request(off, `${MEDIA}/720p/seg_000.ts${TOKEN}`, 'segment').options.uri).toBe(
      `${MEDIA}/720p/seg_000.ts${TOKEN}`,
    );
  });

  it('counts requests, bytes, TTFB and throughput since the previous take', async () => {
    const { vhs, network } = setup();
    const first = request(vhs, `${MEDIA}/720p/seg_000.ts${TOKEN}`, 'segment');
    await first.xhr.respond(200, 1_000_000, { headersAfter: 40, bodyAfter: 960 });
    const second = request(vhs, `${MEDIA}/720p/index.m3u8${TOKEN}`, 'hls-playlist');
    await second.xhr.respond(200, 500, { headersAfter: 20 });
    expect(network.take()).toEqual({
      requestCount: 2,
      requestFailures: 0,
      bytesDownloaded: 1_000_500,
      throughputKbps: 8000, // the segment: 8 Mbit in 1 s
      ttfbMs: 30,
    });
    expect(network.take()).toMatchObject({ requestCount: 0, bytesDownloaded: 0, ttfbMs: undefined });
    expect(network.totals()).toMatchObject({ requestCount: 2, lastTtfbMs: 20, estimateKbps: 4194 });
  });

  it('reports a failed request, but not one VHS aborted (its bytes still count)', async () => {
    const { vhs, network, failures } = setup();
    await request(vhs, `${MEDIA}/720p/seg_002.ts${TOKEN}`, 'segment').xhr.respond(404, 120);
    request(vhs, `${MEDIA}/720p/seg_001.ts${TOKEN}`, 'segment').xhr.abort(50_000);
    expect(failures).toEqual([{ requestType: 'segment', status: 404 }]);
    expect(network.take()).toMatchObject({ requestCount: 2, requestFailures: 1, bytesDownloaded: 50_120 });
  });

  it('moves its hook to each new VHS and removes it on destroy', () => {
    const { player, vhs, network } = setup();
    const next = new FakeVhs();
    player.vhs = next;
    player.fire('xhr-hooks-ready');
    expect(vhs.hooks.size).toBe(0);
    expect(next.hooks.size).toBe(1);
    network.destroy();
    expect(next.hooks.size).toBe(0);
  });

  it('never breaks a request when measuring fails', () => {
    const { vhs } = setup('query', {
      bufferMs: () => {
        throw new Error('boom');
      },
    });
    const { options } = request(vhs, `${MEDIA}/720p/seg_000.ts${TOKEN}`, 'segment');
    expect(options.uri).toBe(`${MEDIA}/720p/seg_000.ts${TOKEN}`);
  });
});
