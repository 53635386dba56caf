/**
 * A loopback TCP pass-through that timestamps traffic, to measure what a client sees on the wire:
 * the time from the last request byte it sent to the first response byte that came back.
 */
import net from 'node:net';

export interface WireTimer {
  url: string;
  /** Gap (ms) between the last upstream byte and the first downstream byte after it, per response. */
  readonly gapsMs: number[];
  close(): Promise<void>;
}

export async function startWireTimer(targetPort: number): Promise<WireTimer> {
  const gapsMs: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let lastUpstreamAt: number | undefined;
    client.on('data', (chunk) => {
      lastUpstreamAt = performance.now();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (lastUpstreamAt !== undefined) gapsMs.push(performance.now() - lastUpstreamAt);
      lastUpstreamAt = undefined;
      client.write(chunk);
    });
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    gapsMs,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
