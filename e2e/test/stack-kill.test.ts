/**
 * kill -9 of the single-process stack (`npm start`, every port embedded) while an SDK-like client
 * posts beacons and a video is transcoding. Restarted on the same data dir, the stack must finish the
 * transcode, and every beacon it answered 202 for must be in ClickHouse exactly once: the embedded
 * event log keeps accepted messages and committed offsets in the data dir, like Kafka would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually, makeBeacon, uniqueName } from '@streamloop/core/testing';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, describe, expect, it } from 'vitest';
import { startLoad } from './collector-outage-load.js';
import { generateClip } from './media.js';
import { freePort } from './ports.js';
import { entryOf, processEnv, SHARED_SECRETS } from './processes.js';
import { tusUpload, waitUntilReady } from './upload.js';

const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
const auth = { authorization: `Bearer ${apiKey}` };

interface BeaconCopies {
  beacon_id: string;
  copies: string;
  messages: string;
}

/** What an analyst sees through POST /api/v1/sql: each beacon of the run, its rows and its log messages. */
async function beaconsOf(baseUrl: string, runId: string): Promise<BeaconCopies[]> {
  const response = await fetch(`${baseUrl}/api/v1/sql`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `SELECT beacon_id, count() AS copies, uniqExact(kafka_partition, kafka_offset) AS messages
              FROM beacons_v1 WHERE video_id = {videoId:String} GROUP BY beacon_id ORDER BY beacon_id`,
      format: 'json',
      params: { videoId: runId },
    }),
  });
  if (response.status !== 200) throw new Error(`SQL answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as BeaconCopies[];
}

async function videoStatus(baseUrl: string, videoId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/videos/${videoId}`, { headers: auth });
  return ((await response.json()) as { status: string }).status;
}

describe('kill -9 of the single-process stack with beacons and a transcode in flight', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-stack-kill-'));
  let stack: RunningProcess | undefined;

  afterAll(async () => {
    if (stack?.child.exitCode === null) stack.child.kill('SIGKILL');
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('after a restart on the same data dir the video becomes ready and every 202 beacon is in ClickHouse once', async () => {
    // Long enough that the kill, right after the transcode starts, lands mid-encode; short enough that
    // the encode done again after the restart fits a loaded machine.
    const clip = path.join(workDir, 'clip-720p-10s.mp4');
    await generateClip(clip, { seconds: 10, width: 1280, height: 720, bitrate: '3M' });
    // One data dir and one port for both lives of the stack, so the client retries to the same URL.
    const env = processEnv({ ...SHARED_SECRETS, STREAMLOOP_DEMO: '0', PORT: String(await freePort()) });
    const entry = entryOf('stack');
    stack = await startProcess(entry, env);
    const baseUrl = stack.baseUrl;

    const runId = uniqueName('stack-kill');
    // A heartbeat per client and sequence number; the beacon id says which, so a loss or a copy has a name.
    const beaconOf = (client: number, seq: number): Beacon =>
      makeBeacon({
        beaconId: `${runId}-c${client}-${String(seq).padStart(6, '0')}`,
        sessionId: `${runId}-session-${client}`,
        videoId: runId,
        seq,
      });
    const load = startLoad({
      url: `${baseUrl}/v1/beacons`,
      clients: 4,
      beaconsPerBatch: 10,
      batchIntervalMs: 100,
      beaconOf,
    });

    // Beacons flowing all the way into ClickHouse first; then the upload, and the kill as soon as its
    // transcode has started.
    await eventually(
      'beacons queryable before the kill',
      async () => ((await beaconsOf(baseUrl, runId)).length >= 200 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const { videoId } = await tusUpload(clip, {
      endpoint: `${baseUrl}/uploads/`,
      apiKey,
      chunks: 1,
      title: 'kill -9 mid-transcode',
    });
    await eventually(
      'the transcode to start',
      async () => ((await videoStatus(baseUrl, videoId)) === 'processing' ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100 },
    );

    stack.child.kill('SIGKILL');
    const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
      stack!.child.once('exit', (_code, signal) => resolve(signal)),
    );
    expect(exit).toBe('SIGKILL');

    // The client keeps retrying its refused batches against the same address meanwhile.
    stack = await startProcess(entry, env);
    expect(stack.baseUrl).toBe(baseUrl);
    await waitUntilReady(baseUrl, apiKey, videoId);
    const playback = await fetch(`${baseUrl}/api/v1/videos/${videoId}/playback`, { headers: auth });
    expect(playback.status).toBe(200);
    const { manifestUrl } = (await playback.json()) as { manifestUrl: string };
    expect((await fetch(new URL(manifestUrl, baseUrl))).status).toBe(200);

    const report = await load.stop();
    expect(report.otherStatuses).toEqual([]);
    const accepted = [...report.accepted].sort();
    expect(new Set(accepted).size).toBe(accepted.length);
    let rows: BeaconCopies[] = [];
    await eventually(
      `${accepted.length} accepted beacons queryable`,
      async () => {
        rows = await beaconsOf(baseUrl, runId);
        return rows.length >= accepted.length ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    ).catch(() => undefined); // what is missing is named below
    const found = new Set(rows.map((r) => r.beacon_id));
    const missing = accepted.filter((id) => !found.has(id));
    expect(missing.slice(0, 20), `${missing.length} of ${accepted.length} accepted beacons missing`).toEqual(
      [],
    );
    // Every beacon that got a 202, none that did not, each counted once. A beacon is in two log
    // messages only when the kill took the 202 of a batch already in the log and the client resent it.
    expect(rows.map((r) => r.beacon_id)).toEqual(accepted);
    const resent = new Set(report.resent);
    expect(
      rows.filter((r) => Number(r.messages) !== 1 && !(resent.has(r.beacon_id) && Number(r.messages) === 2)),
    ).toEqual([]);
    process.stdout.write(
      `stack kill -9: ${accepted.length} beacons accepted, ${report.retriedThenAccepted} batches resent and accepted, ` +
        `${rows.filter((r) => Number(r.messages) > 1).length} of them in the log twice (resent after the kill took their 202), ` +
        `raw rows redelivered: ${rows.filter((r) => Number(r.copies) > 1).length}\n`,
    );
    expect(await stack.stop()).toBe(0);
  }, 600_000);
});
