/**
 * beacons_v1 as the consumer writes it: one JSONEachRow statement of compact rows (only the columns a
 * beacon has) with the dedup settings inline. What a reader must not be able to tell: a compact row
 * and the same row with every absent column NULL are stored identically, text that JSON has to
 * escape comes back byte for byte, and a batch retried under its token is stored once.
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

describe('beacons_v1 written as compact JSONEachRow', () => {
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
    // Another token is another batch (queries deduplicate such copies on beacon_id).
    await table.insert(rows, `${token}-other`);
    expect(await storedRows(chdb.store, videoId)).toBe(6);
  });
});
