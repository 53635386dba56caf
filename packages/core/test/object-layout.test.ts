import { describe, expect, it } from 'vitest';
import { isVideoId } from '../src/ids.js';
import {
  aesKeyUrlPath,
  fillThumbnailPattern,
  ladderPrefix,
  mediaKey,
  mediaPrefix,
  mediaUrlPath,
  sourceFolderPrefix,
  sourceUploadKeys,
  THUMBNAIL_PATTERN,
  thumbnailFile,
  videoRelativePath,
} from '../src/object-layout.js';

const VIDEO = 'Ab_-0123456789xyz';

describe('the object layout', () => {
  it('keeps every ladder of a video inside the prefix a deletion removes', () => {
    expect(ladderPrefix(VIDEO, 'default')).toBe(`media/${VIDEO}/default/`);
    expect(ladderPrefix(VIDEO, 'per-title-2').startsWith(mediaPrefix(VIDEO))).toBe(true);
    expect(mediaKey(VIDEO, 'default/master.m3u8')).toBe(`media/${VIDEO}/default/master.m3u8`);
  });

  it('names the exact source keys, never a prefix another id shares', () => {
    expect(sourceUploadKeys(VIDEO)).toEqual([
      `sources/${VIDEO}`,
      `sources/${VIDEO}.info`,
      `sources/${VIDEO}.part`,
    ]);
    expect(sourceFolderPrefix(VIDEO)).toBe(`sources/${VIDEO}/`);
  });

  it.each([
    { what: 'a path in a ladder folder', path: 'default/master.m3u8', expected: 'default/master.m3u8' },
    { what: 'a flat path of an older record', path: 'manifest.mpd', expected: 'manifest.mpd' },
    {
      what: 'the whole key older records stored as master',
      path: `media/${VIDEO}/master.m3u8`,
      expected: 'master.m3u8',
    },
    {
      what: "another video's key (left as is)",
      path: 'media/other_video_1234/master.m3u8',
      expected: 'media/other_video_1234/master.m3u8',
    },
  ])('reads $what relative to the video folder', ({ path, expected }) => {
    expect(videoRelativePath(VIDEO, path)).toBe(expected);
  });

  it('serves a key at the same path, and the AES key once per video', () => {
    expect(mediaUrlPath(VIDEO, 'default/poster.jpg')).toBe(`/media/${VIDEO}/default/poster.jpg`);
    expect(aesKeyUrlPath(VIDEO)).toBe(`/media/${VIDEO}/aes-128.key`);
  });

  it('fills a thumbnail pattern as the encoder numbers its files', () => {
    expect(fillThumbnailPattern(`default/${THUMBNAIL_PATTERN}`, 6)).toBe(`default/${thumbnailFile(6)}`);
    expect(thumbnailFile(6)).toBe('thumbs/t_00006.jpg');
  });
});

describe('video ids', () => {
  it.each([
    [VIDEO, true],
    ['-starts-with-dash', true],
    ['short', false],
    ['x'.repeat(65), false],
    ['has/slash0', false],
    ['has.dot000', false],
  ])('%s is a video id: %s', (id, valid) => {
    expect(isVideoId(id)).toBe(valid);
  });
});
