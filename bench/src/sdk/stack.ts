/**
 * The single-process stack this bench plays from: its own SDK bundle (`/sdk/v0/…`), playback API,
 * origin and collector, on the demo title it generates and transcodes on first start (a 30 s clip,
 * nothing downloaded). `BENCH_DATA_DIR` keeps the data directory, so a second run skips the transcode.
 */
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { eventually, waitUntilVideoReady } from '@streamloop/core/testing';
import { startDemoStack } from '../demo-stack.js';

const API_KEY = 'bench-sdk-cost-key-0123456789abcdef012345';

export interface BenchStack {
  baseUrl: string;
  videoId: string;
  /** A signed manifest URL of the demo title (6 h token), the same for every page. */
  manifestUrl: string;
  stop(): Promise<unknown>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const stack = await startDemoStack({
    apiKey: API_KEY,
    name: 'bench-sdk',
    ...(process.env.BENCH_DATA_DIR ? { dataDir: process.env.BENCH_DATA_DIR } : {}),
    env: {
      // Every run of the bench is one address: the collector's per-client limit would refuse its beacons.
      BEACON_RATE_LIMIT: '0',
      ...(process.env.BENCH_STACK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_STACK_NODE_OPTIONS } : {}),
    },
  });
  try {
    const videoId = await eventually(
      'the demo video id',
      () => /demo video \S+\/watch\/([A-Za-z0-9_-]+)/.exec(stack.output())?.[1],
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const auth = { authorization: `Bearer ${API_KEY}` };
    await waitUntilVideoReady(stack.baseUrl, API_KEY, videoId, 600_000);
    const playback = (await (
      await fetch(`${stack.baseUrl}/api/v1/videos/${videoId}/playback`, { headers: auth })
    ).json()) as PlaybackResponse;
    return {
      baseUrl: stack.baseUrl,
      videoId,
      manifestUrl: new URL(playback.manifestUrl, stack.baseUrl).href,
      stop: () => stack.stop(),
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
