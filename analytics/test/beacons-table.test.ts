/**
 * beacons_v1 as the consumer writes it: one Native block of compact rows (only the columns some
 * beacon of the batch has) with the dedup settings inline. What a reader must not be able to tell: a
 * compact row and the same row with every absent column NULL are stored identically, rows with
 * different columns in one block keep their own values, text comes back byte for byte, and a batch
 * retried under its token is stored once, in beacons_v1 and in the views its materialized view feeds.
 */
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { beaconRowStep, compactBeaconRowStep } from '../src/beacon-row-step.js';
import { createBeaconsTable } from '../src/beacons-table.js';
import { openChdbSession, storedRows } from './chdb-session.js';

const RECEIVED_AT_MS = Date.UTC(2026, 11, 6, 12, 0, 0);
const chdb = await openChdbSession();
const table = createBeaconsTable(chdb.store);
afterAll(() => chdb.close());

const message = (offset: number) => ({
  topic: 'qoe-beacons',
  partition: 1,
  offset: String(offset),
  timestamp: RECEIVED_AT_MS,
  key: '',
  value: Buffer.alloc(0),
});

async function stored(videoId: string): Promise<Record<string, unknown>[]> {
  const result = await chdb.store.client.query({
    query: `SELECT * EXCEPT (beacon_id) FROM ${chdb.store.database}.beacons_v1 WHERE video_id = {videoId:String} ORDER BY seq`,
    query_params: { videoId },
    format: 'JSONEachRow',
  });
  return result.json();
}

describe('beacons_v1 written as one Native block of compact rows', () => {
  it('stores a compact row exactly as the same row with its absent columns NULL', async () => {
    const [compactVideo, fullVideo] = [uniqueName('video'), uniqueName('video')];
    const beacon = (videoId: string) =>
      makeBeacon({
        videoId,
        event: 'error',
        seq: 3,
        errorCode: 'MEDIA_ERR_DECODE',
        fatal: false,
        bitrateKbps: 0,
        devicePixelRatio: 2.625,
        cmcd: { br: 3200, su: true, path: '720p/seg_00001.m4s' },
      });
    const context = { browser: 'Firefox', clockOffsetMs: -40, deviceClass: 'desktop' as const };
    const compact = compactBeaconRowStep(
      { beacon: beacon(compactVideo), receivedAtMs: RECEIVED_AT_MS, context },
      message(7),
    );
    const full = beaconRowStep(
      { beacon: beacon(fullVideo), receivedAtMs: RECEIVED_AT_MS, context },
      message(7),
    );
    if (compact.kind !== 'ok' || full.kind !== 'ok') throw new Error('the beacon was refused');
    // Zero and false are values, not absences: they must be written.
    expect(compact.value).toMatchObject({ bitrate_kbps: 0, fatal: false });
    expect(compact.value).not.toHaveProperty('width');
    expect(full.value).toMatchObject({ width: null, cmcd_bl_ms: null, country: null });

    await table.insert([compact.value], uniqueName('token'));
    await table.insert([full.value], uniqueName('token'));
    const [fromCompact] = await stored(compactVideo);
    const [fromFull] = await stored(fullVideo);
    expect(fromCompact).toEqual({ ...fromFull, video_id: compactVideo });
    expect(fromCompact).toMatchObject({
      bitrate_kbps: 0,
      fatal: false,
      width: null,
      device_pixel_ratio: 2.625,
      cmcd_su: true,
      cmcd_bl_ms: null,
      browser: 'Firefox',
      // Int64: quoted in JSON output (SESSION_SETTINGS), as every 64-bit column.
      clock_offset_ms: '-40',
      country: null,
      kafka_partition: 1,
      kafka_offset: '7',
    });
  });

  it('keeps text JSON has to escape byte for byte', async () => {
    const videoId = uniqueName('video');
    const tricky = 'a "quote", a back\\slash, a\nnewline, a\ttab, \u2028, é, 🎬 and \u0001';
    const beacon = makeBeacon({
      videoId,
      event: 'error',
      errorMessage: tricky,
      pageOrigin: "https://o'brien.example",
    });
    const row = compactBeaconRowStep({ beacon, receivedAtMs: RECEIVED_AT_MS }, message(1));
    if (row.kind !== 'ok') throw new Error(row.detail);
    await table.insert([row.value], uniqueName('token'));
    expect(await stored(videoId)).toMatchObject([
      { error_message: tricky, page_origin: "https://o'brien.example" },
    ]);
  });

  it('stores a batch retried under its token once, whatever characters the token holds', async () => {
    const videoId = uniqueName('video');
    const rows = [0, 1, 2].map((seq) => {
      const row = compactBeaconRowStep(
        { beacon: makeBeacon({ videoId, seq }), receivedAtMs: RECEIVED_AT_MS },
        message(seq),
      );
      if (row.kind !== 'ok') throw new Error(row.detail);
      return row.value;
    });
    const token = `qoe-beacons:1:0-2:it's a \\ token`;
    await table.insert(rows, token);
    await table.insert(rows, token);
    expect(await storedRows(chdb.store, videoId)).toBe(3);
    expect(await viewRows(videoId)).toBe(1);
    // Another token is another batch (queries deduplicate such copies on beacon_id).
    await table.insert(rows, `${token}-other`);
    expect(await storedRows(chdb.store, videoId)).toBe(6);
  });

  it('keeps the columns of each row when rows of one block carry different fields', async () => {
    const videoId = uniqueName('video');
    const envelopes = [
      {
        beacon: makeBeacon({ videoId, seq: 0, event: 'viewstart', playerName: 'video.js' }),
        context: { country: 'DE' },
      },
      { beacon: makeBeacon({ videoId, seq: 1, event: 'heartbeat', watchTimeMs: 10_000, bitrateKbps: 3000 }) },
      { beacon: makeBeacon({ videoId, seq: 2, event: 'cmcd', source: 'cmcd', cmcd: { bl: 4200, ot: 'v' } }) },
    ];
    const rows = envelopes.map(({ beacon, context }, i) => {
      const row = compactBeaconRowStep(
        context === undefined
          ? { beacon, receivedAtMs: RECEIVED_AT_MS + i }
          : { beacon, receivedAtMs: RECEIVED_AT_MS + i, context },
        message(10 + i),
      );
      if (row.kind !== 'ok') throw new Error(row.detail);
      return row.value;
    });
    await table.insert(rows, uniqueName('token'));
    const columns = (r: Record<string, unknown>) => ({
      seq: r.seq,
      event: r.event,
      source: r.source,
      player_name: r.player_name,
      country: r.country,
      watch_time_ms: r.watch_time_ms,
      bitrate_kbps: r.bitrate_kbps,
      cmcd_bl_ms: r.cmcd_bl_ms,
      cmcd_ot: r.cmcd_ot,
      received_at: r.received_at,
      kafka_offset: r.kafka_offset,
    });
    expect((await stored(videoId)).map(columns)).toEqual([
      {
        seq: 0,
        event: 'viewstart',
        source: 'sdk',
        player_name: 'video.js',
        country: 'DE',
        watch_time_ms: null,
        bitrate_kbps: null,
        cmcd_bl_ms: null,
        cmcd_ot: null,
        received_at: '2026-12-06 12:00:00.000',
        kafka_offset: '10',
      },
      {
        seq: 1,
        event: 'heartbeat',
        source: 'sdk',
        player_name: null,
        country: null,
        watch_time_ms: 10000,
        bitrate_kbps: 3000,
        cmcd_bl_ms: null,
        cmcd_ot: null,
        received_at: '2026-12-06 12:00:00.001',
        kafka_offset: '11',
      },
      {
        seq: 2,
        event: 'cmcd',
        source: 'cmcd',
        player_name: null,
        country: null,
        watch_time_ms: null,
        bitrate_kbps: null,
        cmcd_bl_ms: 4200,
        cmcd_ot: 'v',
        received_at: '2026-12-06 12:00:00.002',
        kafka_offset: '12',
      },
    ]);
  });
});

/** Rows of views_v1 for the video: one per insert block that reached its materialized view. */
async function viewRows(videoId: string): Promise<number> {
  const result = await chdb.store.client.query({
    query: `SELECT count() AS n FROM ${chdb.store.database}.views_v1 WHERE video_id = {videoId:String}`,
    query_params: { videoId },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}
