import { describe, expect, it } from 'vitest';
import { appendToken, rewriteHlsPlaylist } from '../src/playlist-rewrite.js';

const VIDEO = 'vid_0123456789abcdef';
const TOKEN = 'eyJ2IjoidmlkIn0.c2lnbmF0dXJl';

const rewrite = (line: string) => rewriteHlsPlaylist(line, VIDEO, TOKEN);

describe('HLS playlist rewriting', () => {
  it.each([
    { what: 'variant playlist line', line: '720p/index.m3u8', out: `720p/index.m3u8?token=${TOKEN}` },
    { what: 'segment line', line: 'seg_00001.ts', out: `seg_00001.ts?token=${TOKEN}` },
    { what: 'line with a query', line: 'seg.ts?v=2', out: `seg.ts?v=2&token=${TOKEN}` },
    { what: 'line that already has a token', line: 'seg.ts?token=old&v=2', out: `seg.ts?v=2&token=${TOKEN}` },
    { what: 'line with a fragment', line: 'seg.ts#t=1', out: `seg.ts?token=${TOKEN}#t=1` },
    {
      what: 'path-absolute in this video',
      line: `/media/${VIDEO}/720p/a.ts`,
      out: `/media/${VIDEO}/720p/a.ts?token=${TOKEN}`,
    },
    { what: 'EXT-X-MAP', line: '#EXT-X-MAP:URI="init.mp4"', out: `#EXT-X-MAP:URI="init.mp4?token=${TOKEN}"` },
    {
      what: 'EXT-X-KEY',
      line: '#EXT-X-KEY:METHOD=AES-128,URI="keys/k1.key",IV=0x0123',
      out: `#EXT-X-KEY:METHOD=AES-128,URI="keys/k1.key?token=${TOKEN}",IV=0x0123`,
    },
    {
      what: 'EXT-X-I-FRAME-STREAM-INF',
      line: '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="720p/iframes.m3u8"',
      out: `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="720p/iframes.m3u8?token=${TOKEN}"`,
    },
    {
      what: 'EXT-X-MEDIA',
      line: '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="audio/en.m3u8"',
      out: `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="audio/en.m3u8?token=${TOKEN}"`,
    },
  ])('gives the token to a $what', ({ line, out }) => {
    expect(rewrite(line)).toBe(out);
  });

  it.each([
    { what: 'URI on another host', line: 'https://ads.example.com/seg.ts' },
    { what: 'protocol-relative URI', line: '//cdn.example.com/seg.ts' },
    { what: "another video's path", line: '/media/other_video_1234/seg.ts' },
    {
      what: 'FairPlay key URI',
      line: '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id",KEYFORMAT="com.apple.streamingkeydelivery"',
    },
    { what: 'data: URI', line: '#EXT-X-SESSION-KEY:METHOD=AES-128,URI="data:text/plain;base64,AAAA"' },
    { what: 'tag without a URI', line: '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360' },
    { what: 'plain comment', line: '# made by streamloop URI="x"' },
  ])('leaves a $what as it is', ({ line }) => {
    expect(rewrite(line)).toBe(line);
  });

  it('keeps line endings, blank lines and tags in place', () => {
    const playlist = '#EXTM3U\r\n#EXTINF:2.0,\r\nseg_1.ts\r\n\r\n#EXT-X-ENDLIST\r\n';
    expect(rewrite(playlist)).toBe(
      `#EXTM3U\r\n#EXTINF:2.0,\r\nseg_1.ts?token=${TOKEN}\r\n\r\n#EXT-X-ENDLIST\r\n`,
    );
  });

  it('URL-encodes the token when it needs it', () => {
    expect(appendToken('a.ts', 'x y')).toBe('a.ts?token=x%20y');
  });
});
