import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { makeBeaconBodies } from '/work/wt/collector/bench/src/collector/beacon-bodies.js';
import { startCollectorTarget } from '/work/wt/collector/bench/src/collector/collector-target.js';
const brokers = process.env.PROF_KAFKA === '1' ? process.env.KAFKA_BROKERS!.split(',') : undefined;
const c = await startCollectorTarget(brokers);
await c.app.listen({ port: 0, host: '127.0.0.1' });
const bodies = makeBeaconBodies(200, 10);
const t0 = Date.now();
const r = await autocannon({ url: `http://127.0.0.1:${(c.app.server.address() as AddressInfo).port}/v1/beacons`, connections: Number(process.env.C ?? 20), duration: 8,
  requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body })) });
while ((await c.buffered()) > 0) await new Promise((r) => setTimeout(r, 20));
console.log(JSON.stringify({ rps: r.requests.average, bps: (await c.produced()) / ((Date.now() - t0) / 1000), p99: r.latency.p99 }));
await c.close();
process.exit(0);
