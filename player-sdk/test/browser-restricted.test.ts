/**
 * A page on a site the video's owner did not list, in Debian's Chromium: the cross-origin playback
 * request is refused, and the player's error and its fatal error beacon carry the API's code. The API
 * here is a stand-in answering exactly what delivery answers (pinned by delivery's
 * playback-cors.test.ts); the whole stack across two origins is the e2e suite's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually } from '@streamloop/core/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBundleBuilt, launchChromium, scriptTagPage, startPageServer } from './browser-fixture.js';

/** delivery's refusal: 403 with the grant echoed (so the page may read it) and Vary: Origin. */
async function startRefusingApi(): Promise<{ base: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server: Server = createServer((request, response) => {
    asked.push(request.url ?? '');
    const origin = request.headers.origin ?? '';
    response
      .writeHead(403, {
        'content-type': 'application/json',
        vary: 'Origin',
        ...(origin === '' ? {} : { 'access-control-allow-origin': origin }),
      })
      .end(
        JSON.stringify({
          error: {
            code: 'ERR_PLAYBACK_RESTRICTED',
            message: `${origin} may not play video restricted-01: its owner restricts playback to listed domains`,
          },
        }),
      );
  });
  // `localhost`, while the page is on 127.0.0.1: another origin, as on a customer's site.
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://localhost:${port}`,
    asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const pageFor = (apiBase: string, options: Record<string, unknown> = {}) =>
  scriptTagPage({
    videoId: 'restricted-01',
    apiBase,
    collectorUrl: '/v1/beacons',
    transport: { flushIntervalMs: 200 },
    ...options,
  });

/** The fatal error beacons a page server received so far, once there is one. */
const fatalErrors = (server: Awaited<ReturnType<typeof startPageServer>>) =>
  eventually('a fatal error beacon', () => {
    const found = server.received.flatMap((r) => r.beacons).filter((b: Beacon) => b.event === 'error');
    return found.length > 0 ? found : undefined;
  });

describe('a restricted video on a site its owner did not list (Chromium)', () => {
  let browser: Browser;
  let api: Awaited<ReturnType<typeof startRefusingApi>>;
  let server: Awaited<ReturnType<typeof startPageServer>>;
  /** The same page for a simulated viewer (metadata.synthetic), as the simulator's browser runs would open it. */
  let simulatedServer: Awaited<ReturnType<typeof startPageServer>>;

  beforeAll(async () => {
    assertBundleBuilt();
    api = await startRefusingApi();
    server = await startPageServer({ page: pageFor(api.base), hlsDir: tmpdir() });
    simulatedServer = await startPageServer({
      page: pageFor(api.base, { metadata: { synthetic: true, cohort: 'commuters', networkClass: '3g' } }),
      hlsDir: tmpdir(),
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await simulatedServer?.close();
    await api?.close();
  });

  it('shows ERR_PLAYBACK_RESTRICTED in the player and reports it as the fatal error', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() =>
      (window as unknown as { streamloop?: { player: { error(): unknown } } }).streamloop?.player.error(),
    );
    const shown = await page.evaluate(() => {
      const error = (
        window as unknown as { streamloop: { player: { error(): { code: unknown; message: string } } } }
      ).streamloop.player.error();
      return {
        code: error.code,
        message: error.message,
        display: document.querySelector('.vjs-error-display')?.textContent ?? '',
      };
    });
    expect(shown.code).toBe('ERR_PLAYBACK_RESTRICTED');
    expect(shown.message).toContain('its owner restricts playback to listed domains');
    expect(shown.display).toContain('ERR_PLAYBACK_RESTRICTED');

    const errors = await fatalErrors(server);
    // A real viewer's page asks without the synthetic parameter, with its viewer id (for experiments).
    expect(api.asked[0]).toBe(`/api/v1/videos/restricted-01/playback?viewerId=${errors[0]?.viewerId}`);
    expect(errors.map(({ errorCode, fatal }) => ({ errorCode, fatal }))).toEqual([
      { errorCode: 'ERR_PLAYBACK_RESTRICTED', fatal: true },
    ]);
    await page.close();
  });
  it('asks the playback API for a simulated viewer with ?synthetic=1 and marks every beacon of the view', async () => {
    const page = await browser.newPage();
    await page.goto(simulatedServer.url);
    const [error] = await fatalErrors(simulatedServer);
    expect(error).toMatchObject({ errorCode: 'ERR_PLAYBACK_RESTRICTED', fatal: true });
    const beacons = simulatedServer.received.flatMap((r) => r.beacons);
    // With the viewer's id, by which a running experiment keeps it in one arm.
    expect(api.asked).toContain(
      `/api/v1/videos/restricted-01/playback?synthetic=1&viewerId=${beacons[0]?.viewerId}`,
    );
    expect(beacons.map((b) => b.event)).toContain('viewstart');
    for (const beacon of beacons)
      expect(beacon).toMatchObject({ synthetic: true, cohort: 'commuters', networkClass: '3g' });
    await page.close();
  });
});
