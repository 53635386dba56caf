/** The worker thread of model-worker.ts: runs the playback model for each request it is sent. */
import { parentPort } from 'node:worker_threads';
import { reasonOf } from '@streamloop/core/errors';
import type { ModelAnswer, ModelRequest } from './model-worker.js';
import { runModel } from './playback-prediction.js';

if (parentPort === null) throw new Error('prediction-worker.js runs as a worker thread (model-worker.ts)');
const port = parentPort;
port.on('message', ({ id, ladder, bucket }: ModelRequest) => {
  let answer: ModelAnswer;
  try {
    answer = { id, prediction: runModel(ladder, bucket) };
  } catch (err) {
    answer = { id, error: reasonOf(err) };
  }
  port.postMessage(answer);
});
