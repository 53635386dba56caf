import { describe, expect, it } from 'vitest';
import { rewriteDashManifest, rewriteManifest, rewriteStoryboardVtt } from '../src/manifest-rewrite.js';

const VIDEO = 'video-0001';
const TOKEN = 'abc.DEF_123';

const mpd = (template: string, extra = '') =>
  [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">',
    `  <Period>${extra}<AdaptationSet><Representation id="720p" bandwidth="1">`,
    `    <SegmentTemplate timescale="15360" initialization="720p/init.mp4" media="${template}"/>`,
    '  </Representation></AdaptationSet></Period>',
    '</MPD>',
  ].join('\n');

describe('rewriteDashManifest', () => {
  it('gives the init and media templates the token, keeping $Number$ for the player', () => {
    const out = rewriteDashManifest(mpd('720p/seg_$Number%03d$.m4s'), VIDEO, TOKEN);
    expect(out).toContain(`initialization="720p/init.mp4?token=${TOKEN}"`);
    expect(out).toContain(`media="720p/seg_$Number%03d$.m4s?token=${TOKEN}"`);
  });

  it('escapes the query separator as XML and replaces a token already there', () => {
    const out = rewriteDashManifest(mpd('720p/seg_$Number$.m4s?x=1&amp;token=old'), VIDEO, TOKEN);
    expect(out).toContain(`media="720p/seg_$Number$.m4s?x=1&amp;token=${TOKEN}"`);
    expect(out).not.toContain('old');
  });

  it('leaves URLs on other hosts and other videos alone, BaseURL included', () => {
    const foreign = '<BaseURL>https://cdn.example/</BaseURL>';
    const out = rewriteDashManifest(mpd(`/media/other-video/seg_$Number$.m4s`, foreign), VIDEO, TOKEN);
    expect(out).toContain('media="/media/other-video/seg_$Number$.m4s"');
    expect(out).toContain(foreign);
    expect(rewriteDashManifest('<BaseURL>720p/</BaseURL>', VIDEO, TOKEN)).toBe(
      `<BaseURL>720p/?token=${TOKEN}</BaseURL>`,
    );
  });
});

describe('rewriteStoryboardVtt', () => {
  const vtt = [
    'WEBVTT',
    '',
    '1',
    '00:00:00.000 --> 00:00:02.000',
    'storyboard_000.jpg#xywh=0,0,160,90',
    '',
    '00:00:02.000 --> 00:00:04.000',
    'https://elsewhere.example/x.jpg#xywh=160,0,160,90',
    '',
  ].join('\n');

  it('puts the token before the #xywh fragment of own sprite sheets only', () => {
    const out = rewriteStoryboardVtt(vtt, VIDEO, TOKEN);
    expect(out).toContain(`storyboard_000.jpg?token=${TOKEN}#xywh=0,0,160,90`);
    expect(out).toContain('https://elsewhere.example/x.jpg#xywh=160,0,160,90');
    expect(out.startsWith('WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\n')).toBe(true);
  });
});

describe('rewriteManifest', () => {
  it.each([
    ['master.m3u8', '#EXTM3U\n720p/index.m3u8\n', `720p/index.m3u8?token=${TOKEN}`],
    ['manifest.mpd', mpd('a/seg_$Number$.m4s'), `a/seg_$Number$.m4s?token=${TOKEN}`],
    ['storyboard.vtt', 'WEBVTT\n\n00:00.000 --> 00:01.000\ns.jpg#xywh=0,0,1,1\n', `s.jpg?token=${TOKEN}#`],
  ])('picks the rewrite for %s by its extension', (path, text, expected) => {
    expect(rewriteManifest(path, text, VIDEO, TOKEN)).toContain(expected);
  });
});
