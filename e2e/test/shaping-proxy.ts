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

/** `length` bytes of a transfer's body from `offset` (chunks as they came from the origin). */
function bytesOf(transfer: Transfer, offset: number, length: number): Buffer {
  const whole = transfer.chunks.length === 1 ? transfer.chunks[0]! : Buffer.concat(transfer.chunks);
  transfer.chunks = [whole];
  return whole.subarray(offset, offset + length);
}

// How often the link hands out bytes; the error this adds to one transfer is below one tick.
const TICK_MS = 10;

/** A response draining through the link: bytes arrive from the origin and leave at the trace's rate. */
interface Transfer {
  chunks: Buffer[];
  /** Bytes received from the origin so far, and whether it has finished. */
  received: number;
  complete: boolean;
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
    // Water-filling: each round splits what is left evenly over the transfers with bytes to send.
    for (;;) {
      const ready = transfers.filter((t) => t.received > t.sent);
      if (budget <= 0 || ready.length === 0) break;
      const share = Math.max(1, Math.floor(budget / ready.length));
      for (const transfer of ready) {
        const n = Math.min(share, transfer.received - transfer.sent, budget);
        if (n <= 0) continue;
        transfer.response.write(bytesOf(transfer, transfer.sent, n));
        transfer.sent += n;
        budget -= n;
        deliveredBits += n * 8;
      }
    }
    // Bytes the origin has not produced yet are not owed: the link does not bank them.
    if (transfers.every((t) => t.received === t.sent)) deliveredBits = carriedBits;
    finishDone();
  };

  const finishDone = (): void => {
    for (const transfer of transfers.filter((t) => t.complete && t.sent >= t.received)) transfer.response.end();
    transfers = transfers.filter((t) => !(t.complete && t.sent >= t.received));
  };

  const flush = (): void => {
    for (const transfer of transfers) {
      transfer.response.write(bytesOf(transfer, transfer.sent, transfer.received - transfer.sent));
      transfer.sent = transfer.received;
      if (transfer.complete) transfer.response.end();
    }
    // Still arriving from the origin: passed through as it comes (see the data handler).
    transfers = transfers.filter((t) => !t.complete);
  };

  /** Sends the request on to the stack; resolves with its response as soon as the headers arrive. */
  const forward = (request: http.IncomingMessage, body: Buffer): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const outgoing = http.request(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
        resolve,
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
        // The origin works while the latency runs: the first byte leaves after the later of the
        // two, so the origin's own time on a busy machine does not add to the trace's latency.
        const latency = new Promise((resolve) =>
          setTimeout(resolve, shaped ? shaped.clock.latencyMs(elapsedMs()) : 0),
        );
        const [answer] = await Promise.all([forward(request, Buffer.concat(chunks)), latency]);
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!shaping || shaping !== shaped || request.method === 'HEAD') {
          answer.pipe(response);
          return;
        }
        const transfer: Transfer = { chunks: [], received: 0, complete: false, sent: 0, response };
        transfers.push(transfer);
        answer.on('data', (chunk: Buffer) => {
          transfer.chunks.push(chunk);
          transfer.received += chunk.length;
          // Disarmed meanwhile: pass the rest straight through.
          if (!transfers.includes(transfer) && !transfer.response.writableEnded) {
            transfer.response.write(chunk);
            transfer.sent = transfer.received;
          }
        });
        answer.on('end', () => {
          transfer.complete = true;
          if (!transfers.includes(transfer)) transfer.response.end();
        });
        // An aborted request (VHS' early abort, a timeout) stops taking its share of the link.
        response.on('close', () => {
          transfers = transfers.filter((t) => t !== transfer);
          answer.destroy();
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
