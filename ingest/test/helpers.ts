/**
 * Builders for the ingest tests: a real clip made by ffmpeg, an ingest app listening on an ephemeral
 * port over the given ports, a real tus-js-client upload, and a recorder of the jobs on the topic.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createLogger, type Logger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import type { ConsumedMessage, EventLog, Subscription } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { Upload } from 'tus-js-client';
import { type IngestDeps, type IngestRoutes, mountIngest } from '../src/mount-ingest.js';

const run = promisify(execFile);

export const API_KEY = 'test-api-key-0123456789';
export const silentLogger: Logger = createLogger({ name: 'ingest-test', level: 'silent' });

/** A short real MP4 (H.264 + AAC) generated with ffmpeg; nothing is downloaded. */
export async function makeClip(dir: string, seconds = 2): Promise<{ file: string; bytes: Buffer }> {
  const file = path.join(dir, 'clip.mp4');
  await run('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file],
  ]);
  return { file, bytes: await readFile(file) };
}

export interface IngestApp {
  app: FastifyInstance;
  baseUrl: string;
  registry: Registry;
  routes: IngestRoutes;
  close(): Promise<void>;
}

type Ports = Pick<
  IngestDeps,
  | 'catalog'
  | 'eventLog'
  | 'objectStore'
  | 'featureStore'
  | 's3'
  | 'maxUploadBytes'
  | 'allowedTypes'
  | 'uploadExpirationMs'
  | 'uploadKeyPrefix'
> & {
  dataDir: string;
  /** Listen here (a restarted server keeps its address); default any free port. */
  port?: number;
};

export async function startIngest(options: Ports): Promise<IngestApp> {
  const { port: listenPort, ...ports } = options;
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const app = buildHttpApp({
    logger: silentLogger,
    registry,
    ports: [ports.catalog, ports.eventLog, ports.objectStore],
  });
  const routes = mountIngest(app, { ...ports, apiKey: API_KEY, logger: silentLogger, registry });
  await app.listen({ port: listenPort ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}`, registry, routes, close: () => app.close() };
}

export interface UploadOutcome {
  /** X-Video-Id of the response that completed the upload. */
  videoId: string | undefined;
  exposedHeaders: string | undefined;
  uploadUrl: string | null;
}

/** Uploads `bytes` with the real tus-js-client in `chunks` PATCH requests. */
export function tusUpload(
  baseUrl: string,
  bytes: Buffer,
  options: { metadata: Record<string, string>; chunks?: number; apiKey?: string | undefined },
): Promise<UploadOutcome> {
  const apiKey = 'apiKey' in options ? options.apiKey : API_KEY;
  let last: { videoId: string | undefined; exposed: string | undefined } = {
    videoId: undefined,
    exposed: undefined,
  };
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint: `${baseUrl}/uploads/`,
      chunkSize: Math.ceil(bytes.length / (options.chunks ?? 3)),
      metadata: options.metadata,
      headers: apiKey === undefined ? {} : { Authorization: `Bearer ${apiKey}` },
      retryDelays: null,
      onAfterResponse: (_req, res) => {
        last = {
          videoId: res.getHeader('X-Video-Id'),
          exposed: res.getHeader('Access-Control-Expose-Headers'),
        };
      },
      onSuccess: () =>
        resolve({ videoId: last.videoId, exposedHeaders: last.exposed, uploadUrl: upload.url }),
      onError: reject,
    });
    upload.start();
  });
}

/** The tus creation request a client would send, for the cases tus-js-client cannot express. */
export function createUploadRequest(
  baseUrl: string,
  options: { length: number; metadata: Record<string, string>; apiKey?: string },
): Promise<Response> {
  const metadata = Object.entries(options.metadata)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
  return fetch(`${baseUrl}/uploads/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(options.length),
      ...(metadata === '' ? {} : { 'Upload-Metadata': metadata }),
      ...(options.apiKey === undefined ? {} : { Authorization: `Bearer ${options.apiKey}` }),
    },
  });
}

/** Every message on the transcode-jobs topic (or `topic`) from now on (a fresh consumer group). */
export async function recordJobs(
  eventLog: EventLog,
  groupId: string,
  topic: string = TOPICS.transcodeJobs.name,
): Promise<{
  messages: ConsumedMessage[];
  forKey(key: string): ConsumedMessage[];
  stop(): Promise<void>;
}> {
  const messages: ConsumedMessage[] = [];
  const subscription: Subscription = await eventLog.subscribe({
    groupId,
    topics: [topic],
    handleBatch: async (batch) => {
      messages.push(...batch.messages);
    },
  });
  return {
    messages,
    forKey: (key) => messages.filter((m) => m.key === key),
    stop: () => subscription.stop(),
  };
}

export async function getJson(baseUrl: string, route: string, apiKey: string | undefined = API_KEY) {
  const response = await fetch(baseUrl + route, {
    headers: apiKey === undefined ? {} : { Authorization: `Bearer ${apiKey}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

export type { Catalog, ObjectStore };

export interface JsonResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields ad hoc and assert on them.
  body: Record<string, any>;
  headers: Headers;
}

/** A JSON API call as a client makes it; `apiKey` undefined sends no Authorization header. */
export async function callJson(
  baseUrl: string,
  apiKey: string | undefined,
  method: string,
  route: string,
  body?: unknown,
): Promise<JsonResponse> {
  const response = await fetch(baseUrl + route, {
    method,
    headers: {
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text), headers: response.headers };
}
