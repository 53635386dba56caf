import { describe, expect, it } from 'vitest';
import { parseMediaUri } from '../src/media-path.js';

const VIDEO = 'vid_0123456789abcdef';

describe('media request URIs', () => {
  it('names the object, its type and the token', () => {
    expect(parseMediaUri(`/media/${VIDEO}/720p/seg_00001.m4s?token=abc.def&x=1`)).toEqual({
      kind: 'ok',
      request: {
        videoId: VIDEO,
        path: '720p/seg_00001.m4s',
        objectKey: `media/${VIDEO}/720p/seg_00001.m4s`,
        type: { contentType: 'video/iso.segment', kind: 'segment' },
        token: 'abc.def',
      },
    });
  });

  it.each(['-3Fq0x2Zb1cVb8sX9dY0aQ', '_3Fq0x2Zb1cVb8sX9dY0aQ'])(
    'serves a catalog id that starts with a base64url symbol (%s)',
    (videoId) => {
      const parsed = parseMediaUri(`/media/${videoId}/master.m3u8?token=a.b`);
      expect(parsed.kind === 'ok' && parsed.request.objectKey).toBe(`media/${videoId}/master.m3u8`);
    },
  );

  it('decodes harmless escapes the way an edge normalises them', () => {
    const parsed = parseMediaUri(`/media/${VIDEO}/720p/seg%5F00001.m4s`);
    expect(parsed.kind === 'ok' && parsed.request.objectKey).toBe(`media/${VIDEO}/720p/seg_00001.m4s`);
  });

  it('has no token when the query gives two', () => {
    const parsed = parseMediaUri(`/media/${VIDEO}/master.m3u8?token=a.b&token=c.d`);
    expect(parsed.kind === 'ok' && parsed.request.token).toBeUndefined();
  });

  it.each([
    `/media/${VIDEO}/../other_video_1234/seg.ts`,
    `/media/${VIDEO}/%2e%2e/other_video_1234/seg.ts`,
    `/media/${VIDEO}/%2E%2E/other_video_1234/seg.ts`,
    `/media/${VIDEO}/.%2e/other_video_1234/seg.ts`,
    `/media/${VIDEO}/720p%2f..%2f..%2fsecret.ts`,
    `/media/${VIDEO}/720p%5c..%5csecret.ts`,
    `/media/${VIDEO}//seg.ts`,
    `/media/${VIDEO}/./seg.ts`,
    `/media/${VIDEO}/seg%00.ts`,
    `/media/${VIDEO}/%E0%A4%A.ts`,
    '/media/..%2f..%2fetc/passwd.ts',
  ])('refuses %s as a bad request', (uri) => {
    expect(parseMediaUri(uri).kind).toBe('bad');
  });

  it.each([
    ['/other/path.ts'],
    [`/media/${VIDEO}`],
    [`/media/${VIDEO}/source.mov`],
    [`/media/${VIDEO}/keys/k1.key`],
    [`/media/${VIDEO}/720p/noextension`],
    ['/media/short/seg.ts'],
    [`/media/${VIDEO}/a/b/c/d/e/seg.ts`],
  ])('does not serve %s', (uri) => {
    expect(parseMediaUri(uri).kind).toBe('not_found');
  });
});
