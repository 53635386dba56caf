import { describe, expect, it } from 'vitest';
import { ladderFromHls, type PublishedHls } from '../src/hls-ladder.js';
import { ModelInputError } from '../src/ladder.js';
import { simulateSession } from '../src/player-model.js';
import { constantTrace } from '../src/trace.js';

const ROOT = 'media/v1/default';

/** What streamloop's packager writes: lowest variant first, one audio group, I-frame playlists. */
const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="default",LANGUAGE="und",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=528000,AVERAGE-BANDWIDTH=400000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO="audio"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2628000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"
720p/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001e",RESOLUTION=640x360,URI="360p/iframes.m3u8"
`;

const media = (prefix: string) => `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.004000,
${prefix}0.m4s
#EXTINF:2.002000,
${prefix}1.m4s
#EXT-X-ENDLIST
`;

function makePublished(overrides: Partial<PublishedHls> = {}): PublishedHls {
  const sizes: Record<string, number> = {
    [`${ROOT}/360p/init.mp4`]: 800,
    [`${ROOT}/360p/seg0.m4s`]: 200_000,
    [`${ROOT}/360p/seg1.m4s`]: 100_000,
    [`${ROOT}/720p/init.mp4`]: 900,
    [`${ROOT}/720p/seg0.m4s`]: 1_000_000,
    [`${ROOT}/720p/seg1.m4s`]: 500_000,
    [`${ROOT}/audio/init.mp4`]: 600,
    [`${ROOT}/audio/seg0.m4s`]: 64_000,
    [`${ROOT}/audio/seg1.m4s`]: 32_000,
  };
  return {
    masterPath: `${ROOT}/master.m3u8`,
    masterText: MASTER,
    mediaPlaylists: {
      [`${ROOT}/360p/index.m3u8`]: media('seg'),
      [`${ROOT}/720p/index.m3u8`]: media('seg'),
      [`${ROOT}/audio/index.m3u8`]: media('seg'),
    },
    bytesOf: (path) => sizes[path],
    ...overrides,
  };
}

describe('ladder from published HLS', () => {
  it('reads variants in master order with declared BANDWIDTH, real sizes, init segments and audio', () => {
    // Both segments of every playlist: 4.004 s then 2.002 s, sized from the file listing.
    const segments = (first: number, second: number) => [
      { durationSec: 4.004, bytes: first },
      { durationSec: 2.002, bytes: second },
    ];
    expect(ladderFromHls(makePublished())).toEqual({
      targetDurationSec: 4,
      rungs: [
        { bandwidth: 528_000, width: 640, height: 360, initBytes: 800, segments: segments(200_000, 100_000) },
        {
          bandwidth: 2_628_000,
          width: 1280,
          height: 720,
          initBytes: 900,
          segments: segments(1_000_000, 500_000),
        },
      ],
      audio: { initBytes: 600, segments: segments(64_000, 32_000) },
    });
  });

  it('plays in the model: every byte of init, video and audio segments is fetched', () => {
    const outcome = simulateSession({
      ladder: ladderFromHls(makePublished()),
      trace: constantTrace(50_000, 10),
      viewport: { width: 1280, height: 720 },
      watch: {},
    });
    expect(outcome.endReason).toBe('ended');
    // 720p from the start (2.628 M × 1.2 < 4,194,304): its init, both segments, audio init and segments.
    expect(outcome.bytesDownloaded).toBe(900 + 1_000_000 + 500_000 + 600 + 64_000 + 32_000);
  });

  it.each([
    [
      'a file whose size is unknown',
      makePublished({ bytesOf: (path) => (path.endsWith('720p/seg1.m4s') ? undefined : 1000) }),
      `${ROOT}/720p/index.m3u8 line 10: no size known for ${ROOT}/720p/seg1.m4s`,
    ],
    [
      'a variant without RESOLUTION',
      makePublished({ masterText: MASTER.replace(',RESOLUTION=1280x720', '') }),
      `${ROOT}/master.m3u8 line 7: EXT-X-STREAM-INF without RESOLUTION=<w>x<h>`,
    ],
    [
      'a media playlist that was not provided',
      makePublished({ mediaPlaylists: {} }),
      `${ROOT}/360p/index.m3u8: media playlist not provided`,
    ],
    [
      'something that is not a playlist',
      makePublished({ masterText: '<html>' }),
      `${ROOT}/master.m3u8 line 1: not an M3U8 playlist (#EXTM3U)`,
    ],
  ])('rejects %s, naming the file and line', (_case, published, message) => {
    expect(() => ladderFromHls(published)).toThrow(ModelInputError);
    expect(() => ladderFromHls(published)).toThrow(message);
  });
});
