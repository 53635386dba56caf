import { describe, expect, it } from 'vitest';
import { parseEmbedOptions } from '../src/embed-options.js';

describe('parseEmbedOptions', () => {
  it.each([
    [{}, { autoplay: false, start: 0, loop: false, controls: true }],
    [
      { autoplay: '1', loop: 'true' },
      { autoplay: true, start: 0, loop: true, controls: true },
    ],
    [
      { controls: '0', start: '12.5' },
      { autoplay: false, start: 12.5, loop: false, controls: false },
    ],
    [
      { autoplay: 'false', start: '0' },
      { autoplay: false, start: 0, loop: false, controls: true },
    ],
  ])('reads %j', (query, options) => {
    expect(parseEmbedOptions(query)).toEqual({ ok: true, options });
  });

  it.each([
    [{ autoplay: 'yes' }, 'autoplay must be 1, 0, true or false, not "yes"'],
    [{ start: '-3' }, 'start must be a number of seconds ≥ 0, not "-3"'],
    [{ start: '1m' }, 'start must be a number of seconds ≥ 0, not "1m"'],
    [{ loop: ['1', '0'] }, 'loop is given more than once'],
    [{ mute: '1' }, 'unknown option mute (known: autoplay, start, loop, controls)'],
  ])('refuses %j with its reason', (query, reason) => {
    expect(parseEmbedOptions(query)).toEqual({ ok: false, reason });
  });
});
