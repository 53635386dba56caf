/**
 * The spool on disk: what the collector fsynced while the event log refused comes out in order on
 * the next start, and a record damaged on disk is skipped — counted by reason and logged — while
 * the rest still drains. The damage is real: a byte of the segment file is flipped between runs.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '@streamloop/core/logger';
import { makeBeacon, metricValue } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, envelopeOf, METRIC, makeView, startCollector } from './helpers.js';

describe('the collector spool', () => {
  let collector: Collector | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('drains a session in the order it was accepted, after a restart', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collector-spool-'));
    const spool = { dir, maxBytes: 1024 * 1024 };
    const first = await startCollector({ createTopic: false, routes: { spool } });
    const view = makeView('session-spooled', [
      'viewstart',
      'playrequest',
      'firstframe',
      'heartbeat',
      'viewend',
    ]);
    // One request per beacon: five spool records that must come out in this order.
    for (const beacon of view) expect((await first.post([beacon])).statusCode).toBe(202);
    await first.close();

    collector = await startCollector({ routes: { spool } });
    const produced = await collector.produced(5);
    expect(produced.map((m) => envelopeOf(m).beacon.event)).toEqual(view.map((b) => b.event));
    expect(new Set(produced.map((m) => m.partition)).size).toBe(1);
  });

  it('skips a record whose CRC does not match, counts and logs the reason, and drains the rest', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collector-spool-'));
    const spool = { dir, maxBytes: 1024 * 1024 };
    const first = await startCollector({ createTopic: false, routes: { spool } });
    const kept = [makeBeacon(), makeBeacon()];
    const damaged = makeBeacon({ event: 'viewend' });
    for (const beacon of [kept[0]!, damaged, kept[1]!])
      expect((await first.post([beacon])).statusCode).toBe(202);
    await first.close();

    // Flip one byte inside the middle record's beacon id, on disk.
    const [segment] = (await readdir(dir)).filter((name) => name.endsWith('.seg'));
    const file = path.join(dir, segment!);
    const bytes = await readFile(file);
    const at = bytes.indexOf(Buffer.from(damaged.beaconId));
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(file, bytes);

    const logs = new PassThrough();
    let logged = '';
    logs.on('data', (chunk) => (logged += chunk));
    collector = await startCollector({
      routes: { spool, logger: createLogger({ name: 'spool-test', level: 'error', destination: logs }) },
    });
    const produced = await collector.produced(2);
    expect(produced.map((m) => envelopeOf(m).beacon.beaconId)).toEqual(kept.map((b) => b.beaconId));
    expect(await metricValue(collector.registry, METRIC.spoolSkipped, { reason: 'crc_mismatch' })).toBe(1);
    // …and an operator sees it where Prometheus scrapes.
    const scraped = (await collector.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(scraped).toContain(`${METRIC.spoolSkipped}{reason="crc_mismatch"} 1`);
    expect(logged).toMatch(/spool record skipped/);
    expect(logged).toMatch(/crc_mismatch/);
    // The drain went on: new beacons are produced directly again.
    const later = makeBeacon();
    expect((await collector.post([later])).statusCode).toBe(202);
    expect((await collector.produced(3)).map((m) => envelopeOf(m).beacon.beaconId)).toContain(later.beaconId);
  });

  it('keeps its drain checkpoint across a restart; a drain cut off before its checkpoint replays the same bytes', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collector-spool-'));
    const spool = { dir, maxBytes: 1024 * 1024 };
    const spooling = await startCollector({ createTopic: false, routes: { spool } });
    const view = makeView('session-replayed', ['viewstart', 'playrequest']);
    for (const beacon of view) expect((await spooling.post([beacon])).statusCode).toBe(202);
    await spooling.close();

    const draining = await startCollector({ routes: { spool } });
    const drained = await draining.produced(2);
    await draining.close();

    // A normal restart replays nothing: the next beacon of the session is the only one produced.
    const restarted = await startCollector({ routes: { spool } });
    const next = makeBeacon({ sessionId: 'session-replayed', viewId: 'session-replayed-view', seq: 2 });
    expect((await restarted.post([next])).statusCode).toBe(202);
    expect((await restarted.produced(1)).map((m) => m.envelope.beacon.beaconId)).toEqual([next.beaconId]);
    await restarted.close();

    // The crash the checkpoint cannot cover: records published, the process killed before the
    // checkpoint was written. The next start sends them again, byte for byte — same beaconId, same
    // receive time and context — which is what lets consumers drop them as duplicates.
    await writeFile(path.join(dir, 'drained'), '0');
    collector = await startCollector({ routes: { spool } });
    const replayed = await collector.produced(2);
    expect(replayed.map((m) => m.value.toString('utf8'))).toEqual(
      drained.map((m) => m.value.toString('utf8')),
    );
    expect(replayed.map((m) => m.envelope.beacon.beaconId)).toEqual(view.map((b) => b.beaconId));
  });

  it('refuses to start on a spool another running process owns (two collectors, one data dir)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collector-spool-'));
    // The test runner's parent: a process that is running and is not this one.
    await writeFile(path.join(dir, 'owner.pid'), String(process.ppid));
    await expect(startCollector({ routes: { spool: { dir, maxBytes: 1024 * 1024 } } })).rejects.toThrow(
      /belongs to process \d+, which is running; give each collector its own STREAMLOOP_DATA_DIR/,
    );
  });
});
