/**
 * The SDK's own monitor outside a browser, as the simulator's live mode runs it: the built
 * `@streamloop/player-sdk/monitor` export in Node, every browser seam injected (clock, page, frames,
 * storage, transport options), over a small fake player, posting to a real HTTP server on loopback.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { monitor } from '@streamloop/player-sdk/monitor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryStorage, FakePage, FakePlayer, FakeVhs, FakeVideo, validateBeacon } from './helpers.js';

const BROWSER_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'customElements',
  'XMLHttpRequest',
  'HTMLVideoElement',
];

describe('monitor in Node (the simulator live mode)', () => {
  let server: Server;
  let collectorUrl: string;
  const received: { contentType: string | undefined; beacons: Beacon[] }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          contentType: request.headers['content-type'],
          beacons: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Beacon[],
        });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/beacons`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('loads the built export without touching a browser global', async () => {
    // A fresh Node process with a trap on every browser global: loading the module must read none.
    const script = `
      const touched = [];
      for (const name of ${JSON.stringify(BROWSER_GLOBALS)}) {
        Object.defineProperty(globalThis, name, {
          configurable: true,
          get() { touched.push(name); return undefined; },
        });
      }
      const { monitor } = await import('@streamloop/player-sdk/monitor');
      process.stdout.write(JSON.stringify({ type: typeof monitor, touched }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', script],
      { cwd: new URL('..', import.meta.url) },
    );
    expect(JSON.parse(stdout)).toEqual({ type: 'function', touched: [] });
  });

  it('sends a whole simulated view to a real collector, marked synthetic with its cohort and network class', async () => {
    // A virtual clock, as the simulator drives it: time moves only when the fake player says so.
    let nowMs = Date.parse('2026-01-01T00:00:00Z');
    let monotonicMs = 0;
    const tick = (ms: number) => {
      nowMs += ms;
      monotonicMs += ms;
    };
    const player = new FakePlayer();
    // A VHS stand-in whose request hook the simulator calls before each real request it makes.
    player.video = new FakeVideo();
    player.vhs = new FakeVhs();
    const page = new FakePage();
    const qoe = monitor(player, {
      videoId: 'video-0001',
      collectorUrl,
      metadata: { synthetic: true, cohort: 'commuters', networkClass: '3g' },
      clock: { now: () => nowMs, monotonic: () => monotonicMs },
      page,
      frames: { next: () => () => {} },
      storage: createMemoryStorage(),
      // Node's own fetch; no sendBeacon in Node, so an unload flush falls back to fetch.
      transport: { flushIntervalMs: 50 },
    });
    player.startPlaying();
    tick(400);
    player.advance(0.4);
    // One segment request, as live mode makes it: the hook adds CMCD, the "XHR" reports its bytes.
    const request = player.vhs.request('http://127.0.0.1:1/media/v/720p/seg_00001.m4s?token=t', 'segment');
    const cmcd = new URL(request.uri).searchParams.get('CMCD') ?? '';
    expect(cmcd).toContain(`sid="${qoe.sessionId}"`);
    expect(cmcd).toContain('cid="video-0001"');
    const xhr = Object.assign(new EventTarget(), { readyState: 1, status: 0 });
    request.beforeSend?.(xhr as unknown as XMLHttpRequest);
    tick(30);
    Object.assign(xhr, { readyState: 2, status: 200 });
    xhr.dispatchEvent(new Event('readystatechange'));
    tick(70);
    xhr.dispatchEvent(Object.assign(new Event('loadend'), { loaded: 250_000 }));
    for (let i = 0; i < 8; i++) {
      tick(250);
      player.advance(0.25);
    }
    qoe.destroy();

    const beacons = () => received.flatMap((batch) => batch.beacons);
    await vi.waitFor(() => expect(beacons().map((b) => b.event)).toContain('viewend'), { timeout: 10_000 });
    expect(beacons().map((b) => b.event)).toEqual(['viewstart', 'playrequest', 'firstframe', 'viewend']);
    for (const beacon of beacons()) {
      expect(validateBeacon(beacon)).toEqual({ ok: true, value: beacon });
      expect(beacon).toMatchObject({ synthetic: true, cohort: 'commuters', networkClass: '3g' });
    }
    expect(beacons().find((b) => b.event === 'firstframe')?.startupTimeMs).toBe(400);
    // 250 000 bytes in 100 ms of virtual time: the SDK's own throughput arithmetic, on the simulator's clock.
    expect(beacons().find((b) => b.event === 'viewend')).toMatchObject({
      requestCount: 1,
      bytesDownloaded: 250_000,
      throughputKbps: 20_000,
      ttfbMs: 30,
    });
    expect(beacons()[0]?.clientTimeMs).toBe(Date.parse('2026-01-01T00:00:00Z'));
    // text/plain keeps browsers' POSTs CORS-simple; the collector reads the same body from Node.
    expect(new Set(received.map((batch) => batch.contentType))).toEqual(new Set(['text/plain']));
    expect(qoe.getStats().beacons).toMatchObject({ dropped: 0 });
  });
});
