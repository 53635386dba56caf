/**
 * Live mode's guards, before and while it sends anything: a non-loopback target is refused before
 * the first request; a target that refuses the playback API (a real local server answering 403 or
 * 503) is reported per cause and the run stops after a bounded number of failed sessions; playlists
 * the viewer cannot play are errors naming the file and line.
 */
import { describe, expect, it } from 'vitest';
import { PlaylistError, parseMasterPlaylist, parseMediaPlaylist } from '../src/live/hls-playlists.js';
import { assertLoopbackTarget, runLiveAudience } from '../src/live/live-audience.js';
import { liveSessions } from '../src/live/live-mode.js';
import { LiveTargetError } from '../src/run-context.js';
import { audienceBuilder } from './audiences.js';
import { startRecordingServer } from './recording-server.js';

const sessions = (viewers: number) =>
  liveSessions(
    { audience: audienceBuilder({ viewers, titles: ['clip'] }), traces: {} },
    1,
    () => 'abcdefgh12345678',
  );

describe('live mode target', () => {
  it.each([
    ['http://127.0.0.1:3000', true],
    ['http://127.77.1.2:3000', true],
    ['http://localhost:3000', true],
    ['http://[::1]:3000', true],
    ['http://10.0.0.5:3000', false],
    ['http://example.com', false],
    ['http://127.0.0.1.example.com', false],
    ['not a url', false],
  ])('%s is loopback: %s', (target, loopback) => {
    if (loopback) expect(() => assertLoopbackTarget(target)).not.toThrow();
    else expect(() => assertLoopbackTarget(target)).toThrow(LiveTargetError);
  });

  it('accepts a remote target only with the explicit override', () => {
    expect(() => assertLoopbackTarget('http://10.0.0.5:3000', true)).not.toThrow();
  });

  it('refuses a non-loopback target before drawing a session or sending a request', async () => {
    let drawn = 0;
    function* counted() {
      for (const spec of sessions(3)) {
        drawn++;
        yield spec;
      }
    }
    const error = await runLiveAudience({
      target: 'http://192.0.2.1:9',
      sessions: counted(),
      concurrency: 2,
      deliverUnload: async () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LiveTargetError);
    expect((error as LiveTargetError).code).toBe('ERR_TARGET_NOT_LOOPBACK');
    expect((error as Error).message).toContain('--allow-remote');
    expect(drawn).toBe(0);
  });
});

describe('a target that refuses', () => {
  it.each([403, 503])(
    'playback %i: counted per cause, the run stops after 5 failed sessions',
    async (status) => {
      const server = await startRecordingServer(() => ({
        status,
        body: { error: { code: 'ERR_X', message: 'no' } },
      }));
      try {
        const run = await runLiveAudience({
          target: server.url,
          sessions: sessions(40),
          concurrency: 2,
          maxFailedSessions: 5,
          deliverUnload: async () => {},
        });
        expect(run.stopReason).toContain(`playback ${status}`);
        expect(run.failures[`playback ${status}`]).toBeGreaterThanOrEqual(5);
        // Bounded: the session in flight when the fifth failed is stopped, no new one starts.
        expect(run.results.length).toBeLessThanOrEqual(5 + 1);
        expect(run.results.filter((r) => r.endReason === 'failed').length).toBeGreaterThanOrEqual(5);
        expect(run.results.every((r) => r.endReason === 'failed' || r.endReason === 'stopped')).toBe(true);
        expect(server.requests.length).toBeLessThanOrEqual(run.results.length);
        // Each viewer asks as itself (a running experiment assigns its arm by that id), marked synthetic.
        const asked = server.requests.map((r) => new URL(r.url, server.url));
        expect(asked.every((url) => url.pathname.endsWith('/playback'))).toBe(true);
        expect(asked.every((url) => url.searchParams.get('synthetic') === '1')).toBe(true);
        const askedAs = new Set(asked.map((url) => url.searchParams.get('viewerId')));
        // A session stopped while its request was in flight asked too; every failed one did.
        for (const result of run.results.filter((r) => r.endReason === 'failed'))
          expect(askedAs.has(result.viewerId), result.viewerId).toBe(true);
        expect([...askedAs].every((id) => run.results.some((r) => r.viewerId === id))).toBe(true);
      } finally {
        await server.close();
      }
    },
  );
});

describe('playlists a live viewer cannot play', () => {
  const url = 'http://127.0.0.1:1/media/v/master.m3u8?token=t';
  it.each([
    ['not a playlist', 'hello', /master\.m3u8: not an M3U8 playlist/],
    ['no variants', '#EXTM3U\n#EXT-X-VERSION:7\n', /has no EXT-X-STREAM-INF variants/],
    [
      'a variant without RESOLUTION',
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100\na/index.m3u8\n',
      /line 2: EXT-X-STREAM-INF needs/,
    ],
  ])('master: %s', (_name, text, message) => {
    expect(() => parseMasterPlaylist(url, text)).toThrow(PlaylistError);
    expect(() => parseMasterPlaylist(url, text)).toThrow(message);
  });

  it('media: a URI without EXTINF names its line', () => {
    expect(() => parseMediaPlaylist(url, '#EXTM3U\n#EXT-X-TARGETDURATION:6\nseg-1.m4s\n')).toThrow(
      /line 3: a URI without EXTINF/,
    );
  });

  it('resolves variant, audio, init and segment URIs against the playlist, keeping their tokens', () => {
    const master = parseMasterPlaylist(
      url,
      '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="default",URI="audio/index.m3u8?token=t"\n' +
        '#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360,AUDIO="a"\n360p/index.m3u8?token=t\n',
    );
    expect(master).toEqual({
      audioUri: 'http://127.0.0.1:1/media/v/audio/index.m3u8?token=t',
      variants: [
        {
          uri: 'http://127.0.0.1:1/media/v/360p/index.m3u8?token=t',
          bandwidth: 500000,
          width: 640,
          height: 360,
          codecs: 'avc1.64001f,mp4a.40.2',
          audioGroup: 'a',
        },
      ],
    });
    const media = parseMediaPlaylist(
      'http://127.0.0.1:1/media/v/360p/index.m3u8?token=t',
      '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI="init.mp4?token=t"\n#EXTINF:6.000,\nseg-1.m4s?token=t\n#EXTINF:2.5,\nseg-2.m4s?token=t\n#EXT-X-ENDLIST\n',
    );
    expect(media).toEqual({
      targetDurationSec: 6,
      initUri: 'http://127.0.0.1:1/media/v/360p/init.mp4?token=t',
      segments: [
        { uri: 'http://127.0.0.1:1/media/v/360p/seg-1.m4s?token=t', durationSec: 6 },
        { uri: 'http://127.0.0.1:1/media/v/360p/seg-2.m4s?token=t', durationSec: 2.5 },
      ],
    });
  });
});
