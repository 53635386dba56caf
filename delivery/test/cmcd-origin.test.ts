/**
 * CMCD harvest through the origin routes (inject) into the real embedded event log: what a player's
 * CMCD says about a media request arrives on `qoe-beacons` as a server-side beacon, and nothing a
 * player puts in CMCD can fail or change the media it asked for.
 */
import type { Registry } from '@streamloop/core/metrics';
import { Beacon } from '@streamloop/core/schemas/beacon';
import { metricValue, uniqueName } from '@streamloop/core/testing';
import { createValidator } from '@streamloop/core/validate';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BeaconLog,
  beaconCmcd,
  cmcdHeaders,
  cmcdQuery,
  openBeaconLog,
  playerCmcd,
} from './beacon-log.js';
import {
  addVideo,
  buildDeliveryApp,
  type Fixture,
  HANDWRITTEN_LADDER_RECORD,
  type Ladder,
  openFixture,
  putLadder,
  tokenFor,
} from './fixtures.js';

const isBeacon = createValidator(Beacon);

const counter = metricValue;
const cmcdOutcome = (registry: Registry, outcome: string) =>
  counter(registry, 'streamloop_delivery_cmcd_requests_total', { outcome });

describe('CMCD on media requests', () => {
  let fixture: Fixture;
  let log: BeaconLog;
  let app: FastifyInstance;
  let registry: Registry;
  let videoId: string;
  let ladder: Ladder;
  let token: string;

  beforeAll(async () => {
    fixture = await openFixture();
    log = await openBeaconLog();
    ({ app, registry } = await buildDeliveryApp(fixture, {
      eventLog: log.eventLog,
      cmcdBuffer: { flushIntervalMs: 20 },
    }));
    videoId = (await addVideo(fixture)).id;
    ladder = await putLadder(fixture.objectStore, videoId);
    token = tokenFor(videoId, { expiresInS: 10 * 365 * 24 * 3600 });
  });
  afterAll(async () => {
    await app?.close();
    await log?.close();
    await fixture?.close();
  });

  const media = (path: string, query = '') =>
    `/media/${videoId}/${path}?token=${encodeURIComponent(token)}${query === '' ? '' : `&${query}`}`;
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  it.each([
    {
      mode: 'query',
      request: (sid: string) => get(media('720p/seg_00001.m4s', cmcdQuery(playerCmcd(sid)))),
    },
    {
      mode: 'header',
      request: (sid: string) => get(media('720p/seg_00001.m4s'), cmcdHeaders(playerCmcd(sid))),
    },
  ])('turns one $mode-mode request into one cmcd beacon with the decoded values', async ({ request }) => {
    const sid = uniqueName('session');
    const before = Date.now();
    const res = await request(sid);
    const after = Date.now();
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(ladder.files.get('720p/seg_00001.m4s')!)).toBe(true);

    const [beacon, ...more] = await log.waitFor(sid, 1);
    expect(more).toEqual([]);
    expect(isBeacon(beacon).ok).toBe(true);
    expect(beacon).toEqual({
      schema: 'qoe.beacon.v1',
      beaconId: expect.stringMatching(/^cmcd-[A-Za-z0-9_-]{32}$/),
      event: 'cmcd',
      source: 'cmcd',
      sessionId: sid,
      viewId: sid,
      viewerId: 'cmcd',
      videoId,
      seq: expect.any(Number),
      clientTimeMs: expect.any(Number),
      monotonicMs: expect.any(Number),
      cmcd: { ...beaconCmcd(sid), path: '720p/seg_00001.m4s' },
    });
    const envelope = log.received.find((r) => r.beacon.sessionId === sid)!;
    expect(envelope.key).toBe(sid);
    expect(envelope.receivedAtMs).toBe(beacon?.clientTimeMs);
    expect(beacon?.clientTimeMs).toBeGreaterThanOrEqual(before);
    expect(beacon?.clientTimeMs).toBeLessThanOrEqual(after);
  });

  it('marks the CMCD beacons of a simulated viewer synthetic, down the playlists the playback API opened', async () => {
    const simulated = (await addVideo(fixture, { ladder: HANDWRITTEN_LADDER_RECORD })).id;
    await putLadder(fixture.objectStore, simulated);
    const playback = await get(`/api/v1/videos/${simulated}/playback?synthetic=1`);
    expect(playback.statusCode).toBe(200);
    const { manifestUrl, synthetic } = playback.json<{ manifestUrl: string; synthetic?: boolean }>();
    expect(synthetic).toBe(true);
    // The player's path: master → media playlist → segment, each URL as the origin rewrote it.
    const child = async (parentUrl: string, name: string) => {
      const parent = await get(parentUrl);
      const line = parent.body.split('\n').find((l) => l.startsWith(name));
      const url = new URL(line!, `http://origin${parentUrl}`);
      return `${url.pathname}${url.search}`;
    };
    const segment = await child(await child(manifestUrl, '720p/index.m3u8'), 'seg_00001.m4s');
    expect(segment).toMatch(/\?token=/);
    const sid = uniqueName('simulated');
    const res = await get(`${segment}&${cmcdQuery(playerCmcd(sid))}`);
    expect(res.statusCode).toBe(200);
    const [beacon] = await log.waitFor(sid, 1);
    expect(beacon).toMatchObject({ event: 'cmcd', source: 'cmcd', videoId: simulated, synthetic: true });
    expect(isBeacon(beacon).ok).toBe(true);

    // The same request under a real viewer's token: no mark at all (absent means real).
    const real = uniqueName('real');
    await get(
      `/media/${simulated}/720p/seg_00001.m4s?token=${encodeURIComponent(tokenFor(simulated))}&${cmcdQuery(playerCmcd(real))}`,
    );
    const [realBeacon] = await log.waitFor(real, 1);
    expect(realBeacon).not.toHaveProperty('synthetic');
  });

  it('carries the experiment arm of the token (its variant), so CMCD beacons count per arm; none without one', async () => {
    const armed = uniqueName('armed');
    const variantToken = tokenFor(videoId, { variant: 'exp-1.treatment' });
    const res = await get(
      `/media/${videoId}/720p/seg_00001.m4s?token=${encodeURIComponent(variantToken)}&${cmcdQuery(playerCmcd(armed))}`,
    );
    expect(res.statusCode).toBe(200);
    const [beacon] = await log.waitFor(armed, 1);
    expect(beacon).toMatchObject({ event: 'cmcd', source: 'cmcd', videoId, variant: 'exp-1.treatment' });
    expect(isBeacon(beacon).ok).toBe(true);

    const plain = uniqueName('plain');
    await get(media('720p/seg_00001.m4s', cmcdQuery(playerCmcd(plain))));
    const [plainBeacon] = await log.waitFor(plain, 1);
    expect(plainBeacon).not.toHaveProperty('variant');
  });

  it('lets a page on another origin send CMCD headers (CORS preflight)', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: media('720p/seg_00001.m4s'),
      headers: {
        origin: 'https://player.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'cmcd-object,cmcd-request,cmcd-session,cmcd-status',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const allowed = String(res.headers['access-control-allow-headers']).split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['cmcd-object', 'cmcd-request', 'cmcd-session', 'cmcd-status']),
    );
  });

  it('reads CMCD on playlists too, and still writes only the token into their child URIs', async () => {
    const sid = uniqueName('session');
    const res = await get(media('master.m3u8', cmcdQuery({ sid, ot: 'm', su: true })));
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('CMCD');
    const [beacon] = await log.waitFor(sid, 1);
    expect(beacon?.cmcd).toEqual({ sid, ot: 'm', su: true, path: 'master.m3u8' });
  });

  it('accepts the CMCD parameter before or after the token (the token check ignores it)', async () => {
    const sid = uniqueName('session');
    const cmcd = cmcdQuery(playerCmcd(sid));
    for (const url of [
      media('360p/seg_00001.ts', cmcd),
      `/media/${videoId}/360p/seg_00001.ts?${cmcd}&token=${encodeURIComponent(token)}`,
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.rawPayload.equals(ladder.files.get('360p/seg_00001.ts')!)).toBe(true);
    }
    const check = await get('/internal/token-check', { 'x-original-uri': media('360p/seg_00001.ts', cmcd) });
    expect(check.statusCode).toBe(204);
  });

  it('gives the edge check and the origin the same beacon id for one request (a cache miss is counted once)', async () => {
    const sid = uniqueName('session');
    const uri = media('720p/seg_00002.m4s', cmcdQuery(playerCmcd(sid)));
    expect((await get('/internal/token-check', { 'x-original-uri': uri })).statusCode).toBe(204);
    expect((await get(uri)).statusCode).toBe(200);
    const beacons = await log.waitFor(sid, 2);
    expect(new Set(beacons.map((b) => b.beaconId)).size).toBe(1);

    // Another request of the same session (the buffer has grown) is another beacon.
    await get(media('720p/seg_00002.m4s', cmcdQuery(playerCmcd(sid, { bl: 25300 }))));
    const [, , third] = await log.waitFor(sid, 3);
    expect(third?.beaconId).not.toBe(beacons[0]?.beaconId);
  });

  it('emits nothing for a request without CMCD', async () => {
    const before = log.received.length;
    const emitted = await cmcdOutcome(registry, 'emitted');
    const res = await get(media('720p/seg_00001.m4s'));
    expect(res.statusCode).toBe(200);
    // A marker request after it: once the marker's beacon is there, anything before it would be too.
    const marker = uniqueName('marker');
    await get(media('720p/init.mp4', cmcdQuery({ sid: marker })));
    await log.waitFor(marker, 1);
    expect(log.received.slice(before).map((r) => r.beacon.sessionId)).toEqual([marker]);
    expect(await cmcdOutcome(registry, 'emitted')).toBe(emitted + 1);
  });

  it.each([
    { name: 'an unterminated string', query: `CMCD=${encodeURIComponent('sid="abc,br=3200')}` },
    { name: 'a broken inner list', query: `CMCD=${encodeURIComponent('br=(3200,sid="abc"')}` },
    { name: 'undecodable percent escapes', query: 'CMCD=%E0%A4%A' },
    {
      name: 'a payload far larger than any player sends',
      query: `CMCD=${encodeURIComponent(`sid="${'a'.repeat(5000)}"`)}`,
    },
  ])('serves the media when CMCD is malformed ($name) and counts it', async ({ query }) => {
    const malformed = await cmcdOutcome(registry, 'malformed');
    const res = await get(media('360p/seg_00002.ts', query));
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(ladder.files.get('360p/seg_00002.ts')!)).toBe(true);
    expect(await cmcdOutcome(registry, 'malformed')).toBe(malformed + 1);
  });

  it('serves the media when a CMCD header is malformed, and counts it', async () => {
    const malformed = await cmcdOutcome(registry, 'malformed');
    const res = await get(media('360p/seg_00002.ts'), { 'cmcd-session': 'sid="unterminated' });
    expect(res.statusCode).toBe(200);
    expect(await cmcdOutcome(registry, 'malformed')).toBe(malformed + 1);
  });

  it('drops keys whose value the beacon cannot hold, counts them, and keeps the rest', async () => {
    const sid = uniqueName('session');
    const rejectedBr = await counter(registry, 'streamloop_delivery_cmcd_keys_rejected_total', { key: 'br' });
    // By hand: the encoder itself would refuse to write most of these.
    const raw = `sid="${sid}",br="fast",bl=-100,ot=video-track,d=4004,mtp=1500.4`;
    const res = await get(media('720p/seg_00001.m4s', `CMCD=${encodeURIComponent(raw)}`));
    expect(res.statusCode).toBe(200);
    const [beacon] = await log.waitFor(sid, 1);
    expect(beacon?.cmcd).toEqual({ sid, d: 4004, mtp: 1500, path: '720p/seg_00001.m4s' });
    expect(await counter(registry, 'streamloop_delivery_cmcd_keys_rejected_total', { key: 'br' })).toBe(
      rejectedBr + 1,
    );
  });

  it('takes the first value of a CMCD v2 inner list', async () => {
    const sid = uniqueName('session');
    const raw = `br=(3200 128),bl=(21300),sid="${sid}",v=2`;
    await get(media('720p/seg_00001.m4s', `CMCD=${encodeURIComponent(raw)}`));
    const [beacon] = await log.waitFor(sid, 1);
    expect(beacon?.cmcd).toMatchObject({ br: 3200, bl: 21300 });
  });

  it.each([
    { name: 'no sid', cmcd: () => cmcdQuery({ br: 3200, ot: 'v' }), outcome: 'no_sid' },
    {
      name: 'a sid no session id can have',
      cmcd: () => cmcdQuery({ sid: 'has spaces / slashes' }),
      outcome: 'invalid',
    },
  ])('makes no beacon from CMCD with $name, and counts it', async ({ cmcd, outcome }) => {
    const before = await cmcdOutcome(registry, outcome);
    const res = await get(media('720p/seg_00001.m4s', cmcd()));
    expect(res.statusCode).toBe(200);
    expect(await cmcdOutcome(registry, outcome)).toBe(before + 1);
  });

  it.each([
    { name: 'no token', url: (q: string) => `/media/${videoId}/720p/seg_00001.m4s?${q}` },
    {
      name: 'an expired token',
      url: (q: string) =>
        `/media/${videoId}/720p/seg_00001.m4s?token=${tokenFor(videoId, { expiresInS: -10 })}&${q}`,
    },
  ])('takes no CMCD from a request the origin refuses ($name)', async ({ url }) => {
    const sid = uniqueName('session');
    const emitted = await cmcdOutcome(registry, 'emitted');
    expect((await get(url(cmcdQuery({ sid })))).statusCode).toBe(403);
    expect(
      (await get('/internal/token-check', { 'x-original-uri': url(cmcdQuery({ sid })) })).statusCode,
    ).toBe(403);
    expect(await cmcdOutcome(registry, 'emitted')).toBe(emitted);
  });
});

describe('CMCD without an event log', () => {
  it('still serves and counts CMCD requests, but emits nothing', async () => {
    const fixture = await openFixture();
    const { app, registry } = await buildDeliveryApp(fixture);
    try {
      const videoId = (await addVideo(fixture)).id;
      await putLadder(fixture.objectStore, videoId);
      const res = await app.inject({
        method: 'GET',
        url: `/media/${videoId}/720p/init.mp4?token=${tokenFor(videoId)}&${cmcdQuery({ sid: 'abc', br: 3200 })}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(await cmcdOutcome(registry, 'not_emitted')).toBe(1);
    } finally {
      await app.close();
      await fixture.close();
    }
  });
});

describe('CMCD beacons at shutdown', () => {
  it('publishes what is still buffered when the app closes', async () => {
    const fixture = await openFixture();
    const log = await openBeaconLog();
    // An hour between timed flushes: only closing the app can send this beacon.
    const { app, registry } = await buildDeliveryApp(fixture, {
      eventLog: log.eventLog,
      cmcdBuffer: { flushIntervalMs: 3_600_000 },
    });
    try {
      const videoId = (await addVideo(fixture)).id;
      await putLadder(fixture.objectStore, videoId);
      const sid = uniqueName('session');
      const res = await app.inject({
        method: 'GET',
        url: `/media/${videoId}/720p/init.mp4?token=${tokenFor(videoId)}&${cmcdQuery({ sid })}`,
      });
      expect(res.statusCode).toBe(200);
      expect(log.received).toEqual([]);
      await app.close();
      await log.waitFor(sid, 1);
      expect(await counter(registry, 'streamloop_delivery_cmcd_beacons_published_total')).toBe(1);
      expect(log.received.every((r) => r.key === r.beacon.sessionId)).toBe(true);
    } finally {
      await app.close();
      await log.close();
      await fixture.close();
    }
  });
});
