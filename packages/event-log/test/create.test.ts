import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { DependencyUnavailableError } from '@streamloop/core/errors';
import { requireService } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import { createEventLog } from '../src/create.js';
import { startChild } from './fixtures/child-process.js';
import type { CreateFixtureResult } from './fixtures/create-event-log.fixture.js';
import { createCapturedLogger } from './helpers.js';

const kafkaConfig = loadConfig(process.env).kafka;

describe('createEventLog', () => {
  it('without kafka config picks the embedded file log in the data dir', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'event-log-create-'));
    const log = await createEventLog({ kafka: undefined, dataDir }, createCapturedLogger());
    expect(log.adapter).toEqual({
      port: 'event-log',
      kind: 'embedded',
      service: 'file log',
      target: path.join(dataDir, 'event-log'),
    });
    await log.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`with KAFKA_BROKERS=${kafkaConfig?.brokers.join(',') ?? '(not set)'} connects to Kafka`, async () => {
    const kafka = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    const log = await createEventLog({ kafka, dataDir: os.tmpdir() }, createCapturedLogger());
    expect(log.adapter).toMatchObject({ kind: 'real', service: 'Kafka', target: kafka.brokers.join(',') });
    await expect(log.ping()).resolves.toBeUndefined();
    await log.close();
  });

  it('with an unreachable broker fails with DependencyUnavailableError within 15 s and prints nothing', async () => {
    const child = startChild('create-event-log.fixture.ts', {
      kafka: { brokers: ['127.0.0.1:1'], clientId: 'x' },
      dataDir: os.tmpdir(),
    });
    const result = await child.message((m) => m as CreateFixtureResult);
    await child.exited;

    expect(result).toMatchObject({
      outcome: 'failed',
      name: 'DependencyUnavailableError',
      dependencyUnavailable: true,
      fields: { service: 'Kafka', variable: 'KAFKA_BROKERS', address: '127.0.0.1:1' },
    });
    expect(result.outcome === 'failed' && result.message).toMatch(
      /^cannot reach Kafka at KAFKA_BROKERS=127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); start it with `npm run infra:up`/,
    );
    expect(child.stdout()).toBe('');
    expect(child.stderr()).toBe('');
  }, 15_000);

  it('rejects in-process with the typed error', async () => {
    const attempt = createEventLog(
      { kafka: { brokers: ['127.0.0.1:1'], clientId: 'x' }, dataDir: os.tmpdir() },
      createCapturedLogger(),
    );
    await expect(attempt).rejects.toBeInstanceOf(DependencyUnavailableError);
  }, 15_000);

  it('connecting in the background, an unreachable broker does not fail the start: publish and ping refuse at once, naming why, and close ends the attempts', async () => {
    const captured = createCapturedLogger();
    const log = await createEventLog(
      { kafka: { brokers: ['127.0.0.1:1'], clientId: 'x' }, dataDir: os.tmpdir() },
      captured,
      { connectInBackground: true },
    );
    expect(log.adapter).toMatchObject({ kind: 'real', service: 'Kafka', target: '127.0.0.1:1' });
    await expect(log.publish('qoe-beacons', [{ key: 'k', value: Buffer.from('v') }])).rejects.toThrow(
      /^not connected to Kafka yet: .*ECONNREFUSED/,
    );
    await expect(log.ping()).rejects.toThrow(/not connected to Kafka yet/);
    // Calls that may wait for the connection end with the log's own error when it closes first.
    const waiting = log.lag('a-group', 'qoe-beacons');
    await log.close();
    await expect(waiting).rejects.toThrow(/closed/);
    expect(captured.lines.map((line) => line.msg)).toContain(
      'Kafka does not answer; connecting again in the background',
    );
  }, 30_000);
});
