import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  mimeTypeOf,
  PlaybackApiError,
  resolvePlaybackSource,
  startHintSourceOptions,
} from '../src/playback-source.js';
import { SDK_VERSION } from '../src/version.js';

/** A playback API stand-in answering one scripted response and recording the URL asked. */
function api(status: number, body: unknown) {
  const asked: string[] = [];
  const fetchImpl = async (url: string) => {
    asked.push(url);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { asked, fetchImpl };
}

describe('playback source', () => {
  it('plays a given playback URL without asking the API', async () => {
    const { asked, fetchImpl } = api(500, {});
    const source = await resolvePlaybackSource(
      { videoId: 'video-0001', playbackUrl: 'https://cdn.test/media/v/master.m3u8?token=t' },
      fetchImpl,
    );
    expect(source).toEqual({
      url: 'https://cdn.test/media/v/master.m3u8?token=t',
      type: 'application/x-mpegURL',
    });
    expect(asked).toEqual([]);
  });

  it('asks the playback API and resolves a relative manifest URL against it, keeping the variant', async () => {
    const { asked, fetchImpl } = api(200, {
      manifestUrl: '/media/video-0001/master.m3u8?token=abc',
      variant: 'b',
    });
    const source = await resolvePlaybackSource(
      { videoId: 'video-0001', apiBase: 'https://api.test/' },
      fetchImpl,
    );
    expect(asked).toEqual(['https://api.test/api/v1/videos/video-0001/playback']);
    expect(source).toEqual({
      url: 'https://api.test/media/video-0001/master.m3u8?token=abc',
      type: 'application/x-mpegURL',
      variant: 'b',
    });
  });

  it('asks for a simulated viewer with ?synthetic=1 and keeps the synthetic mark the API answers', async () => {
    const { asked, fetchImpl } = api(200, {
      manifestUrl: '/media/video-0001/master.m3u8?token=abc',
      variant: null,
      synthetic: true,
    });
    const source = await resolvePlaybackSource(
      { videoId: 'video-0001', apiBase: 'https://api.test', synthetic: true },
      fetchImpl,
    );
    expect(asked).toEqual(['https://api.test/api/v1/videos/video-0001/playback?synthetic=1']);
    expect(source).toEqual({
      url: 'https://api.test/media/video-0001/master.m3u8?token=abc',
      type: 'application/x-mpegURL',
      synthetic: true,
    });
  });

  it("sends the viewer's id, escaped, so a running experiment keeps the viewer in one arm", async () => {
    const { asked, fetchImpl } = api(200, { manifestUrl: '/m/master.m3u8', variant: 'exp-1.top' });
    const source = await resolvePlaybackSource(
      { videoId: 'video-0001', apiBase: 'https://api.test/', synthetic: true, viewerId: 'v/1 2' },
      fetchImpl,
    );
    expect(asked).toEqual([
      'https://api.test/api/v1/videos/video-0001/playback?synthetic=1&viewerId=v%2F1%202',
    ]);
    expect(source.variant).toBe('exp-1.top');
  });

  it('takes only a literal true as the synthetic mark', async () => {
    for (const synthetic of [false, 'true', 1]) {
      const { fetchImpl } = api(200, { manifestUrl: '/m/master.m3u8', variant: null, synthetic });
      const source = await resolvePlaybackSource(
        { videoId: 'video-0001', apiBase: 'https://api.test' },
        fetchImpl,
      );
      expect(source).not.toHaveProperty('synthetic');
    }
  });

  it('turns an API refusal into an error naming the status and the reason', async () => {
    const { fetchImpl } = api(404, { error: { code: 'ERR_NOT_FOUND', message: 'no video video-0001' } });
    const failure = resolvePlaybackSource({ videoId: 'video-0001', apiBase: 'https://api.test' }, fetchImpl);
    await expect(failure).rejects.toThrow(PlaybackApiError);
    await expect(failure).rejects.toThrow('the playback API answered 404 ERR_NOT_FOUND: no video video-0001');
  });

  it('carries the API code of a refused site, so the player can show why it may not play here', async () => {
    const message =
      'https://evil.test may not play video video-0001: its owner restricts playback to listed domains';
    const { fetchImpl } = api(403, { error: { code: 'ERR_PLAYBACK_RESTRICTED', message } });
    const err = await resolvePlaybackSource(
      { videoId: 'video-0001', apiBase: 'https://api.test' },
      fetchImpl,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlaybackApiError);
    expect(err).toMatchObject({
      code: 'ERR_PLAYBACK_RESTRICTED',
      status: 403,
      message: `the playback API answered 403 ERR_PLAYBACK_RESTRICTED: ${message}`,
    });
  });

  it('takes no code from a body that is not a streamloop error (a proxy page, an odd server)', async () => {
    for (const body of [
      { error: { code: '<b>boom</b>', message: 'x' } },
      { message: 'Forbidden' },
      'Forbidden',
    ]) {
      const { fetchImpl } = api(403, body);
      const err = await resolvePlaybackSource(
        { videoId: 'video-0001', apiBase: 'https://api.test' },
        fetchImpl,
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: undefined, status: 403 });
      expect((err as Error).message).toMatch(/^the playback API answered 403(: x)?$/);
    }
  });

  it('names no status or code when the API could not be reached', async () => {
    const failure = resolvePlaybackSource(
      { videoId: 'video-0001', apiBase: 'https://api.test' },
      async () => {
        throw new TypeError('Failed to fetch');
      },
    );
    await expect(failure).rejects.toMatchObject({
      message: 'the playback API could not be reached',
      status: 0,
      code: undefined,
    });
  });

  it.each([
    { answered: 2400, kept: 2400 },
    { answered: 0, kept: 0 },
    { answered: 10_000_000, kept: 10_000_000 },
    // A bad answer is ignored, never passed to the player: VHS then starts as it would without one.
    { answered: 2400.5, kept: undefined },
    { answered: -1, kept: undefined },
    { answered: 10_000_001, kept: undefined },
    { answered: '2400', kept: undefined },
    { answered: null, kept: undefined },
    { answered: Number.NaN, kept: undefined },
  ])("keeps the API's start-rung hint $answered as $kept", async ({ answered, kept }) => {
    const { fetchImpl } = api(200, {
      manifestUrl: '/m/master.m3u8',
      variant: null,
      startBitrateKbps: answered,
    });
    const source = await resolvePlaybackSource({ videoId: 'video-0001', viewerId: 'v-1' }, fetchImpl);
    expect(source.startBitrateKbps).toBe(kept);
  });

  describe('the start-rung hint handed to VHS with the source', () => {
    it('seeds the bandwidth in bit/s and sets the browser downlink aside, which would replace it in Chromium', () => {
      expect(startHintSourceOptions(2400, { autoplay: 'muted' })).toEqual({
        bandwidth: 2_400_000,
        useNetworkInformationApi: false,
      });
    });

    it.each([
      { case: 'no hint', hint: undefined, playerOptions: undefined },
      { case: "the page's own bandwidth", hint: 2400, playerOptions: { html5: { vhs: { bandwidth: 9e6 } } } },
      {
        case: "the page's stored bandwidth",
        hint: 2400,
        playerOptions: { html5: { vhs: { useBandwidthFromLocalStorage: true } } },
      },
    ])('adds nothing with $case', ({ hint, playerOptions }) => {
      expect(startHintSourceOptions(hint, playerOptions)).toEqual({});
    });

    it("keeps the page's own choice about the Network Information API", () => {
      const playerOptions = { html5: { vhs: { useNetworkInformationApi: true } } };
      expect(startHintSourceOptions(800, playerOptions)).toEqual({ bandwidth: 800_000 });
    });
  });

  it.each([
    ['https://x.test/a/master.m3u8?token=1', 'application/x-mpegURL'],
    ['https://x.test/a/manifest.mpd?token=1', 'application/dash+xml'],
  ])('serves %s as %s', (url, type) => {
    expect(mimeTypeOf(url)).toBe(type);
  });

  it('reports the package version on beacons', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
