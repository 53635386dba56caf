/**
 * Hostile bodies are refused with 413/400 and a specific code, while legitimate batches sent at the
 * same time keep being accepted and produced.
 */
import { gzipSync } from 'node:zlib';
import { makeBeacon } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, envelopeOf, startCollector } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A syntactically valid beacon array padded out to `bytes` with whitespace. */
const paddedBatch = (bytes: number): string => {
  const body = JSON.stringify([makeBeacon()]);
  return `${body.slice(0, -1)}${' '.repeat(bytes - body.length)}]`;
};

/** Builds a body once: compressing 100 MB takes seconds, and two tests send it. */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

interface AbuseCase {
  name: string;
  body: () => string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: string;
  message: RegExp;
}

const CASES: AbuseCase[] = [
  {
    name: 'a 65 KiB body',
    body: () => paddedBatch(65 * KiB),
    status: 413,
    code: 'ERR_PAYLOAD_TOO_LARGE',
    message: /at most 65536 bytes/,
  },
  {
    name: 'a 2 MiB body',
    body: () => paddedBatch(2 * MiB),
    status: 413,
    code: 'ERR_PAYLOAD_TOO_LARGE',
    message: /at most 65536 bytes/,
  },
  {
    // 100 MB of zeros compress to ~100 KB: over the limit before a byte is inflated.
    name: 'a gzip bomb of 100 MB',
    body: once(() => gzipSync(Buffer.alloc(100 * MiB, ' '), { level: 9 })),
    headers: { 'content-encoding': 'gzip' },
    status: 413,
    code: 'ERR_PAYLOAD_TOO_LARGE',
    message: /at most 65536 bytes/,
  },
  {
    // ~1 KB on the wire, 1 MB inflated: zlib stops at the limit instead of inflating it all.
    name: 'a 1 KB gzip body that inflates to 1 MB',
    body: () => gzipSync(paddedBatch(MiB), { level: 9 }),
    headers: { 'content-encoding': 'gzip' },
    status: 413,
    code: 'ERR_PAYLOAD_TOO_LARGE',
    message: /once decompressed/,
  },
  {
    name: 'gzip that is not gzip',
    body: () => 'not gzip at all',
    headers: { 'content-encoding': 'gzip' },
    status: 400,
    code: 'ERR_VALIDATION',
    message: /not valid gzip/,
  },
  {
    name: '10k-deep nesting',
    body: () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    status: 400,
    code: 'ERR_VALIDATION',
    message: /deeper than 8 levels/,
  },
  {
    name: 'a beacon nested just past the limit inside a string-free field',
    body: () => `[{"x":${'{"a":'.repeat(8)}1${'}'.repeat(8)}}]`,
    status: 400,
    code: 'ERR_VALIDATION',
    message: /deeper than 8 levels/,
  },
  {
    name: 'a __proto__ key',
    body: () => `[${JSON.stringify(makeBeacon()).slice(0, -1)},"__proto__":{"isAdmin":true}}]`,
    status: 400,
    code: 'ERR_VALIDATION',
    message: /__proto__/,
  },
  {
    name: 'a __proto__ key spelled with escapes',
    body: () => `[{"\\u005f_proto__":{"polluted":1}}]`,
    status: 400,
    code: 'ERR_VALIDATION',
    message: /__proto__/,
  },
  {
    name: 'a constructor.prototype key',
    body: () => `[{"constructor":{"prototype":{"polluted":1}}}]`,
    status: 400,
    code: 'ERR_VALIDATION',
    message: /constructor\.prototype/,
  },
];

describe('abusive bodies', () => {
  let collector: Collector;
  afterEach(async () => {
    await collector?.close();
  });

  it.each(CASES)('refuses $name with $status $code', async ({ body, headers, status, code, message }) => {
    collector = await startCollector();
    const response = await collector.post(body(), headers ? { headers } : {});
    expect(response.statusCode).toBe(status);
    expect(response.json().error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('keeps accepting legitimate batches sent in between the abusive ones', async () => {
    collector = await startCollector();
    const abusive = CASES.map(({ body, headers }) => ({ body: body(), headers }));
    const legit = abusive.map(() => makeBeacon());
    const responses = await Promise.all(
      abusive.flatMap(({ body, headers }, i) => [
        collector.post(body, headers ? { headers } : {}),
        collector.post([legit[i]]),
      ]),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((_, i) => i % 2 === 1)).toEqual(legit.map(() => 202));
    expect(statuses.filter((_, i) => i % 2 === 0)).toEqual(CASES.map((c) => c.status));
    const produced = await collector.produced(legit.length);
    expect(produced.map((m) => envelopeOf(m).beacon.beaconId).sort()).toEqual(
      legit.map((b) => b.beaconId).sort(),
    );
  });
});
