import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { mountCollector } from '@streamloop/beacon-collector/mount-collector';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { buildBareRoute } from './bare-route.js';
import { makeBeaconBodies } from './beacon-bodies.js';
import type { FastifyInstance } from 'fastify';
const logger = createLogger({ name: 'v', level: 'warn' });
const bodies = makeBeaconBodies(200, 10);
async function load(app: FastifyInstance) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const r = await autocannon({ url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/beacons`, connections: 20, duration: Number(process.env.D ?? 5),
    requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body })) });
  await app.close();
  return `${r.requests.average} req/s p99 ${r.latency.p99} non2xx ${r.non2xx}`;
}
const variants: Record<string, () => FastifyInstance> = {
  bare: () => buildBareRoute().app,
  httpApp: () => {
    const app = buildHttpApp({ logger, registry: createMetricsRegistry({ collectProcessMetrics: false }), ports: [] });
    app.register(async (s) => { s.removeAllContentTypeParsers(); s.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_r, b, d) => d(null, b));
      s.post('/v1/beacons', async (req, reply) => reply.code(202).send({ accepted: (JSON.parse(req.body as string) as unknown[]).length })); });
    return app;
  },
  collectorNullLog: () => {
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    const app = buildHttpApp({ logger, registry, ports: [] });
    mountCollector(app, { eventLog: { publish: async () => {} }, logger, registry, rateLimit: false });
    return app;
  },
};
for (const name of (process.env.V ?? Object.keys(variants).join(',')).split(',')) console.log(name, await load(variants[name]!()));
process.exit(0);
