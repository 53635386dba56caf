/**
 * A TCP proxy between a client and the ingest server that breaks the connection the way networks
 * do: it cuts it (FIN) after given numbers of upstream bytes, resets it (RST) in the middle of a
 * PATCH, or flips one byte of a PATCH body in transit. It counts every byte it forwards upstream.
 */
import net from 'node:net';

export interface ChaosPlan {
  /** Cumulative upstream byte counts at which the connection is cut (ascending). */
  cutAtBytes?: number[];
  /** Cumulative upstream byte count at which the connection is reset with RST instead. */
  resetAtBytes?: number;
  /** Flip one byte this far into the body of the first PATCH that gets that far. */
  flipPatchBodyByte?: number;
}

export interface ChaosProxy {
  url: string;
  /** Upstream bytes forwarded so far (request headers and bodies). */
  readonly upstreamBytes: number;
  readonly cuts: number;
  readonly resets: number;
  readonly flipped: boolean;
  close(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export async function startChaosProxy(targetPort: number, plan: ChaosPlan): Promise<ChaosProxy> {
  const cutAt = [...(plan.cutAtBytes ?? [])];
  let resetAt = plan.resetAtBytes;
  let upstreamBytes = 0;
  let cuts = 0;
  let resets = 0;
  let flipped = false;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    // Only the request being parsed for a flip: its head, then how far into the body we are.
    let head = Buffer.alloc(0);
    let bodyOffset = -1;

    client.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (plan.flipPatchBodyByte !== undefined && !flipped) data = maybeFlip(data);
      const before = upstreamBytes;
      upstreamBytes += data.length;
      const cut = cutAt.length > 0 && upstreamBytes >= cutAt[0]!;
      const reset = resetAt !== undefined && upstreamBytes >= resetAt;
      if (!cut && !reset) {
        upstream.write(data);
        return;
      }
      // Forward up to the break point, then break both sides.
      const limit = Math.min(
        cut ? cutAt[0]! : Number.POSITIVE_INFINITY,
        reset ? resetAt! : Number.POSITIVE_INFINITY,
      );
      upstream.write(data.subarray(0, Math.max(0, limit - before)));
      upstreamBytes = Math.max(before, limit);
      if (reset) {
        resetAt = undefined;
        resets += 1;
        upstream.resetAndDestroy();
        client.resetAndDestroy();
      } else {
        cutAt.shift();
        cuts += 1;
        upstream.destroy();
        client.destroy();
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', closeBoth);
      s.on('close', closeBoth);
    }

    function maybeFlip(data: Buffer): Buffer {
      if (bodyOffset < 0) {
        head = Buffer.concat([head, data]);
        const end = head.indexOf(HEADER_END);
        if (end < 0) return data;
        if (!head.subarray(0, 6).toString('latin1').startsWith('PATCH')) {
          head = Buffer.alloc(0);
          return data;
        }
        // Bytes of `data` that belong to the body start here.
        const bodyStartInData = data.length - (head.length - (end + HEADER_END.length));
        bodyOffset = 0;
        head = Buffer.alloc(0);
        return flipIn(data, bodyStartInData);
      }
      return flipIn(data, 0);
    }

    function flipIn(data: Buffer, bodyStart: number): Buffer {
      const target = plan.flipPatchBodyByte! - bodyOffset + bodyStart;
      bodyOffset += data.length - bodyStart;
      if (target < bodyStart || target >= data.length) return data;
      const copy = Buffer.from(data);
      copy[target] = copy[target]! ^ 0xff;
      flipped = true;
      return copy;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstreamBytes() {
      return upstreamBytes;
    },
    get cuts() {
      return cuts;
    },
    get resets() {
      return resets;
    },
    get flipped() {
      return flipped;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
