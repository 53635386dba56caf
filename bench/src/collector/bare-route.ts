/**
 * The baseline: the cheapest honest beacon endpoint — fastify reads the text body, JSON.parse,
 * counts, answers 202. No validation, no enrichment, no Kafka. What the collector costs is measured
 * against this.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export function buildBareRoute(): { app: FastifyInstance; beacons: () => number } {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  let beacons = 0;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'text/plain'],
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );
  app.post('/v1/beacons', async (request, reply) => {
    const parsed = JSON.parse(request.body as string) as unknown[];
    beacons += parsed.length;
    return reply.code(202).send({ accepted: parsed.length });
  });
  return { app, beacons: () => beacons };
}
