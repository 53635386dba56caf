/**
 * The whole CLI against a target whose collector refuses: the run stops after the bounded number of
 * failures in a row with exit 1, one line naming the cause, and the counts per cause — it does not
 * hammer. The target is a real local server (recording-server.ts) that publishes a tiny HLS ladder
 * the way delivery does (playback API → master → media playlist with byte ranges) and refuses
 * beacons: the refusal is the fault under test, caused for real.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { audienceBuilder } from './audiences.js';
import {
  type Answer,
  type RecordedRequest,
  type RecordingServer,
  startRecordingServer,
} from './recording-server.js';

const MASTER = [
  '#EXTM3U',
  '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360',
  '360p/index.m3u8?token=t',
  '',
].join('\n');
const MEDIA = [
  '#EXTM3U',
  '#EXT-X-TARGETDURATION:4',
  '#EXT-X-MAP:URI="init.mp4?token=t",BYTERANGE="800@0"',
  ...Array.from({ length: 5 }, (_, i) => [
    `#EXTINF:4.0,`,
    `#EXT-X-BYTERANGE:300000@${800 + i * 300000}`,
    'media.m4s?token=t',
  ]).flat(),
  '#EXT-X-ENDLIST',
  '',
].join('\n');

/** The stack's read side, and a collector that answers `beacons` to every POST. */
function publishingTarget(beacons: Answer): (request: RecordedRequest) => Answer {
  return (request) => {
    if (request.url.startsWith('/api/v1/videos/vid_1/playback')) {
      return {
        status: 200,
        body: { manifestUrl: '/media/vid_1/default/master.m3u8?token=t', variant: null, ladderId: 'default' },
      };
    }
    if (request.url.startsWith('/media/vid_1/default/master.m3u8')) return { status: 200, text: MASTER };
    if (request.url.startsWith('/media/vid_1/default/360p/index.m3u8')) return { status: 200, text: MEDIA };
    if (request.url === '/v1/beacons') return beacons;
    return { status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } };
  };
}

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(target: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulator-refuses-'));
  const file = path.join(dir, 'audience.json');
  fs.writeFileSync(file, JSON.stringify(audienceBuilder({ viewers: 200, titles: ['vid_1'] })));
  let stdout = '';
  let stderr = '';
  const code = await main([file, '--target', target, '--seed', '3'], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('a target that refuses beacons', () => {
  it.each([
    { status: 401, code: 'ERR_UNAUTHORIZED', cause: '401' },
    { status: 403, code: 'ERR_FORBIDDEN', cause: '403' },
    { status: 500, code: 'ERR_INTERNAL', cause: '5xx' },
  ])(
    '$status: stops after six failures in a row, exit 1, reported per cause',
    async ({ status, code, cause }) => {
      server = await startRecordingServer(
        publishingTarget({ status, body: { error: { code, message: 'no' } } }),
      );
      const result = await run(server.url);
      expect(result.code).toBe(1);
      const posts = server.requests.filter((r) => r.method === 'POST');
      expect(posts).toHaveLength(6);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
        `simulate: the collector at ${server.url}/v1/beacons failed 6 requests in a row (last: ${status} ${code}: no); stopped`,
      );
      expect(result.stdout).toContain(`(failed attempts: ${cause}: 6)`);
    },
  );
});
