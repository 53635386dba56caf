/**
 * A loopback HTTP proxy in front of the stack that plays a network trace: every request waits the
 * latency in force when it arrives, then its response body drains through ONE link at the trace's
 * rate, shared by the responses in flight (the playback model's trace clock, the same numbers).
 *
 * Why not DevTools throttling alone: Chromium's `Network.emulateNetworkConditions` (and
 * `…ByRule`) shapes a constant rate well (measured 600 kbit/s → 593–609), but every change of the
 * conditions lets the requests in flight finish unthrottled (a 750 kB fetch at 1 Mbit/s took 1.1 s
 * instead of 6 s when the same rate was re-sent every second). A trace that changes every second
 * would measure nothing. So the bytes are shaped here, and the browser is only told the rate
 * (`Network.overrideNetworkState`, see trace-replay.ts), as DevTools emulation would tell it.
 *
 * Until `start` the proxy passes traffic through unshaped (the page and SDK bundle load at once);
 * `armOn` starts the trace at the first request whose path matches (the master playlist).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NetworkTrace } from '@streamloop/playback-model/trace';
import { createTraceClock, type TraceClock } from '@streamloop/playback-model/trace-clock';

// How often the link hands out bytes; the error this adds to one transfer is below one tick.
const TICK_MS = 10;

interface Transfer {
  body: Buffer;
  sent: number;
  response: http.ServerResponse;
}

export interface ShapingProxy {
  url: string;
  /** Shapes from the first request whose path matches; calls `onStart` with Date.now() then. */
  armOn(trace: NetworkTrace, pathPattern: RegExp, onStart: (startedAtMs: number) => void): void;
  /** Back to pass-through; responses in flight drain at once. */
  disarm(): void;
  close(): Promise<void>;
}

export async function startShapingProxy(target: string): Promise<ShapingProxy> {
  const upstream = new URL(target);
  let armed: { trace: NetworkTrace; pattern: RegExp; onStart: (at: number) => void } | undefined;
  let shaping: { clock: TraceClock; startedAtMs: number } | undefined;
  let transfers: Transfer[] = [];
  let deliveredBits = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;

  const elapsedMs = (): number => (shaping ? Date.now() - shaping.startedAtMs : 0);

  /** Hands out what the link carried since the last tick, evenly over the transfers in flight. */
  const tick = (): void => {
    if (!shaping) return;
    const carriedBits = shaping.clock.cumulativeBits(elapsedMs());
    // An idle link banks nothing: bytes cannot be sent before they are asked for.
    if (transfers.length === 0) {
      deliveredBits = carriedBits;
      return;
    }
    let budget = Math.floor((carriedBits - deliveredBits) / 8);
    while (budget > 0 && transfers.length > 0) {
      const share = Math.max(1, Math.floor(budget / transfers.length));
      for (const transfer of transfers) {
        const n = Math.min(share, transfer.body.length - transfer.sent, budget);
        if (n <= 0) continue;
        transfer.response.write(transfer.body.subarray(transfer.sent, transfer.sent + n));
        transfer.sent += n;
        budget -= n;
        deliveredBits += n * 8;
      }
      const done = transfers.filter((t) => t.sent >= t.body.length);
      for (const transfer of done) transfer.response.end();
      transfers = transfers.filter((t) => t.sent < t.body.length);
    }
  };

  const flush = (): void => {
    for (const transfer of transfers) transfer.response.end(transfer.body.subarray(transfer.sent));
    transfers = [];
  };

  const forward = (request: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        const path = new URL(request.url ?? '/', 'http://proxy').pathname;
        if (!shaping && armed && armed.pattern.test(path)) {
          shaping = { clock: createTraceClock(armed.trace), startedAtMs: Date.now() };
          deliveredBits = 0;
          ticker = setInterval(tick, TICK_MS);
          armed.onStart(shaping.startedAtMs);
        }
        const shaped = shaping;
        if (shaped) {
          const latencyMs = shaped.clock.latencyMs(elapsedMs());
          await new Promise((resolve) => setTimeout(resolve, latencyMs));
        }
        const answer = await forward(request, Buffer.concat(chunks));
        // Length known up front, as the origin sends it; no compression negotiated through here.
        const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
        delete headers['transfer-encoding'];
        response.writeHead(answer.status, headers);
        if (!shaping || shaping !== shaped || request.method === 'HEAD') {
          response.end(request.method === 'HEAD' ? undefined : answer.body);
          return;
        }
        const transfer = { body: answer.body, sent: 0, response };
        transfers.push(transfer);
        // An aborted request (VHS' early abort, a timeout) stops taking its share of the link.
        response.on('close', () => {
          transfers = transfers.filter((t) => t !== transfer);
        });
      } catch (error) {
        response.writeHead(502).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const disarm = (): void => {
    armed = undefined;
    shaping = undefined;
    clearInterval(ticker);
    flush();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    armOn(trace, pathPattern, onStart) {
      armed = { trace, pattern: pathPattern, onStart };
    },
    disarm,
    async close() {
      disarm();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
