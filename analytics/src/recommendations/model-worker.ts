/**
 * The playback model on a worker thread (playback-prediction.ts `ModelRunner`): a run takes some
 * milliseconds and allocates whole traces, and on the request thread it would add both — the run and
 * the garbage collections after it — to the requests around it. The worker is unref'd, so an
 * unclosed runner never keeps a process alive; one that dies fails its runs, and the predictor then
 * runs them where it is.
 *
 * The worker is the built file (dist/recommendations/prediction-worker.js), found from both src/ and
 * dist/ by the same relative path: tests on the sources need `npm run build` first, as npm test does.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { ModelPrediction, ModelRunner, ThroughputBucket } from './playback-prediction.js';

const WORKER_FILE = new URL('../../dist/recommendations/prediction-worker.js', import.meta.url);

export interface ModelRequest {
  id: number;
  ladder: Ladder;
  bucket: ThroughputBucket;
}

export type ModelAnswer = { id: number; prediction: ModelPrediction } | { id: number; error: string };

export function createWorkerModelRunner(): ModelRunner {
  if (!existsSync(WORKER_FILE)) {
    throw new Error(
      `${fileURLToPath(WORKER_FILE)} is missing; build analytics first (npm run build -w @streamloop/analytics)`,
    );
  }
  const worker = new Worker(WORKER_FILE);
  worker.unref();
  const waiting = new Map<number, { resolve: (p: ModelPrediction) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure = err;
    for (const { reject } of waiting.values()) reject(err);
    waiting.clear();
  };
  worker.on('message', (answer: ModelAnswer) => {
    const waiter = waiting.get(answer.id);
    waiting.delete(answer.id);
    if ('error' in answer) waiter?.reject(new Error(answer.error));
    else waiter?.resolve(answer.prediction);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the playback-model worker exited (code ${code})`)));
  return {
    run(ladder, bucket) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, ladder, bucket } satisfies ModelRequest);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
