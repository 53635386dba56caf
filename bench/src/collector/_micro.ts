import { parseBeaconBatch } from '../../../beacon-collector/src/beacon-batch.js';
import { parseUntrustedJson } from '../../../beacon-collector/src/json-shape.js';
import { buildBeaconContext } from '../../../beacon-collector/src/beacon-context.js';
import { createUserAgentParser } from '../../../beacon-collector/src/user-agent.js';
import { toBeaconBatchMessages } from '@streamloop/core/schemas/beacon-envelope';
import { makeBeaconBodies } from './beacon-bodies.js';
const bodies = makeBeaconBodies(200, 10);
const ua = createUserAgentParser();
const limits = { maxBeacons: 500, maxDepth: 8 };
function time(label: string, fn: (b: string) => unknown) {
  const N = 20000; let x = 0;
  for (let i = 0; i < 2000; i++) fn(bodies[i % 200]!);
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) { const r = fn(bodies[i % 200]!); if (r) x++; }
  const c = process.cpuUsage(t0);
  console.log(label.padEnd(28), ((c.user + c.system) / N).toFixed(2), 'µs/req');
}
for (let round = 0; round < 2; round++) {
time('JSON.parse', (b) => JSON.parse(b));
time('parseUntrustedJson', (b) => parseUntrustedJson(b, 8));
time('parseBeaconBatch', (b) => parseBeaconBatch(b, limits));
const batch = parseBeaconBatch(bodies[0]!, limits);
time('context', () => buildBeaconContext(batch.valid, Date.now(), { ip: '127.0.0.1', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', country: undefined }, ua));
const ctx = buildBeaconContext(batch.valid, Date.now(), { ip: '127.0.0.1', userAgent: 'x', country: undefined }, ua);
time('batchMessages raw', (b) => toBeaconBatchMessages(batch.valid, 1, ctx, b));
time('batchMessages stringify', () => toBeaconBatchMessages(batch.valid, 1, ctx));
}
