import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { buildBareRoute } from './bare-route.js';
import { makeBeaconBodies } from './beacon-bodies.js';
import { startCollectorTarget } from './collector-target.js';
const bodies = makeBeaconBodies(200, 10);
async function measure(label: string, start: () => Promise<{ app: any; close(): Promise<void>; settle?: () => Promise<void> }>) {
  const t = await start();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const c0 = process.cpuUsage(); const w0 = Date.now();
  const r = await autocannon({ url: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/beacons`, connections: Number(process.env.C ?? 50), duration: Number(process.env.D ?? 6),
    requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body })) });
  await t.settle?.();
  const c = process.cpuUsage(c0); const wall = Date.now() - w0;
  console.log(label.padEnd(20), 'req', r.requests.total, 'cpu µs/req', (((c.user + c.system) / r.requests.total)).toFixed(1), 'cpu util', ((c.user + c.system) / 1000 / wall).toFixed(2), 'p99', r.latency.p99, 'non2xx', r.non2xx);
  await t.close();
}
const brokers = process.env.KAFKA_BROKERS!.split(',');
for (const v of (process.env.V ?? 'bare,embedded,kafka').split(',')) {
  if (v === 'bare') await measure('bare', async () => { const b = buildBareRoute(); return { app: b.app, close: () => b.app.close() }; });
  else await measure(v, async () => { const c = await startCollectorTarget(v === 'kafka' ? brokers : undefined); return { app: c.app, close: () => c.close(), settle: async () => { while ((await c.buffered()) > 0) await new Promise((r) => setTimeout(r, 10)); } }; });
}
process.exit(0);
