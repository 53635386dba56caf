import { describe, expect, it } from 'vitest';
import { readCmcd } from '../src/cmcd-request.js';
import { beaconCmcd, cmcdHeaders, cmcdQuery, playerCmcd } from './beacon-log.js';

const SEGMENT = '/media/vid_0123456789abcdef/720p/seg_00001.m4s?token=a.b';
const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

describe('reading CMCD from a request', () => {
  it.each([
    { name: 'query mode', uri: `${SEGMENT}&${cmcdQuery(playerCmcd('s1'))}`, headers: {}, mode: 'query' },
    { name: 'header mode', uri: SEGMENT, headers: lower(cmcdHeaders(playerCmcd('s1'))), mode: 'header' },
    {
      name: 'both (the headers win)',
      uri: `${SEGMENT}&${cmcdQuery(playerCmcd('other'))}`,
      headers: lower(cmcdHeaders(playerCmcd('s1'))),
      mode: 'header',
    },
  ])('decodes $name to the keys a beacon keeps', ({ uri, headers, mode }) => {
    expect(readCmcd({ uri, headers })).toEqual({ kind: 'ok', mode, keys: beaconCmcd('s1'), rejected: [] });
  });

  it('reads a header a proxy split into two lines as one dictionary', () => {
    const reading = readCmcd({
      uri: SEGMENT,
      headers: { 'cmcd-object': ['br=3200', 'ot=v'], 'cmcd-session': 'sid="s1"' },
    });
    expect(reading).toMatchObject({ kind: 'ok', keys: { br: 3200, ot: 'v', sid: 's1' } });
  });

  it.each([
    { name: 'no query', uri: '/media/vid_0123456789abcdef/master.m3u8' },
    { name: 'a query without CMCD', uri: SEGMENT },
    { name: 'a parameter that only looks like it', uri: `${SEGMENT}&cmcd=sid%3D%22x%22` },
  ])('finds none with $name', ({ uri }) => {
    expect(readCmcd({ uri, headers: { 'x-cmcd': 'sid="x"' } })).toEqual({ kind: 'none' });
  });

  it('reads an empty CMCD parameter as CMCD without keys', () => {
    expect(readCmcd({ uri: `${SEGMENT}&CMCD=`, headers: {} })).toEqual({
      kind: 'ok',
      mode: 'query',
      keys: {},
      rejected: [],
    });
  });

  it.each([
    ['sid="x",su=?0,bs=?1', { sid: 'x', su: false, bs: true }, []],
    ['sid="x";p=1,br=3200;q', { sid: 'x', br: 3200 }, []],
    ['br=(3200 128),bl=(21300)', { br: 3200, bl: 21300 }, []],
    ['br=3199.6,pr=0.5', { br: 3200, pr: 0.5 }, []],
    ['br=-1,bl="long",ot=vvvvvvvvv,su=1,pr=-2,cid=""', {}, ['br', 'bl', 'ot', 'cid', 'su', 'pr']],
    [`br=${2 ** 32},sid="${'x'.repeat(129)}"`, {}, ['br', 'sid']],
  ])('normalises %s', (raw, keys, rejected) => {
    const reading = readCmcd({ uri: `${SEGMENT}&CMCD=${encodeURIComponent(raw)}`, headers: {} });
    expect(reading).toEqual({ kind: 'ok', mode: 'query', keys, rejected });
  });
});
