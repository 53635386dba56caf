/**
 * `/dashboards/videos`: the catalog (ingest's `GET /api/v1/videos`, newest first, 100 a page) next to
 * each video's QoE over the range (analytics' `GET /api/v1/qoe/top-videos`): status (with progress
 * while processing, the reason when failed), playback policy, duration, then plays, viewers, the QoE
 * score, startup p50, start failures and rebuffering. A ready public video links to its `/watch/`
 * page; every row links to its overview. A picked video (`?videoId=`) narrows the QoE numbers to it.
 */
import type { ApiClient, QoeParams, TopVideo, Video, VideoPage } from './api-client.js';
import { cell, emptyRow } from './dom.js';
import { formatDuration, formatMs, formatRatio, integer, orDash } from './format.js';
import { $, type LoadResult, startPage } from './page-shell.js';

const COLUMN_COUNT = 10;
const table = $('#videos');
const rows = $('#videos-rows');
const more = $('#videos-more');

const STATUS_WORDS: Record<Video['status'], string> = {
  waiting_upload: 'Waiting for upload',
  uploaded: 'Uploaded',
  processing: 'Processing',
  ready: 'Ready',
  failed: 'Failed',
};

function statusCell(video: Video): HTMLTableCellElement {
  const progress =
    video.status === 'processing' && video.progressPercent !== null
      ? ` ${Math.floor(video.progressPercent)} %`
      : '';
  const td = cell(`${STATUS_WORDS[video.status]}${progress}`, { column: 'status', status: video.status });
  if (video.status === 'failed' && video.error !== null) td.title = video.error;
  if (video.status === 'failed') td.classList.add('warn');
  return td;
}

function titleCell(video: Video): HTMLTableCellElement {
  const td = cell('', { column: 'title' });
  const overview = document.createElement('a');
  overview.href = `./?videoId=${encodeURIComponent(video.id)}`;
  overview.textContent = video.title || video.id;
  overview.title = `QoE overview of ${video.id}`;
  td.append(overview);
  if (video.status === 'ready' && video.playbackPolicy === 'public') {
    const watch = document.createElement('a');
    watch.href = `/watch/${encodeURIComponent(video.id)}`;
    watch.textContent = 'Watch';
    watch.className = 'watch-link';
    watch.setAttribute('aria-label', `Watch ${video.title || video.id}`);
    td.append(' · ', watch);
  }
  return td;
}

function paint(page: VideoPage | null, qoe: ReadonlyMap<string, TopVideo>): void {
  table.dataset.stale = 'false';
  more.hidden = page?.nextCursor === null || page === null;
  if (page === null) {
    rows.replaceChildren();
    return;
  }
  if (page.videos.length === 0) {
    rows.replaceChildren(emptyRow(COLUMN_COUNT, 'No videos in the catalog yet: upload one.'));
    return;
  }
  rows.replaceChildren(
    ...page.videos.map((video) => {
      const numbers = qoe.get(video.id);
      const tr = document.createElement('tr');
      tr.dataset.videoId = video.id;
      tr.append(
        titleCell(video),
        statusCell(video),
        cell(video.playbackPolicy, { column: 'policy' }),
        cell(orDash(video.durationMs, formatDuration), { column: 'duration' }, 'number'),
        cell(integer.format(numbers?.plays ?? 0), { column: 'plays' }, 'number'),
        cell(integer.format(numbers?.viewers ?? 0), { column: 'viewers' }, 'number'),
        cell(
          orDash(numbers?.qoeScore, (score) => score.toFixed(1)),
          { column: 'qoe-score' },
          'number',
        ),
        cell(orDash(numbers?.startupTimeMs.p50, formatMs), { column: 'startup' }, 'number'),
        cell(
          orDash(numbers?.videoStartFailurePercent, (pct) => `${pct.toFixed(2)} %`),
          { column: 'start-failures' },
          'number',
        ),
        cell(orDash(numbers?.rebufferRatio, formatRatio), { column: 'rebuffer' }, 'number'),
      );
      return tr;
    }),
  );
}

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const [page, top] = await Promise.all([
    api.videoPage({ limit: 100 }),
    api.topVideos({ ...params, limit: 1000 }),
  ]);
  const qoe = new Map(top.videos.map((video) => [video.videoId, video]));
  const shown =
    params.videoId === undefined
      ? page
      : { ...page, videos: page.videos.filter((v) => v.id === params.videoId) };
  paint(shown, qoe);
  if (shown.videos.length === 0)
    return { state: 'empty', message: 'No videos in the catalog yet.', scope: top.synthetic };
  const processing = shown.videos.filter((video) => video.status === 'processing').length;
  return {
    state: 'ready',
    message: `${shown.videos.length} ${shown.videos.length === 1 ? 'video' : 'videos'}${processing > 0 ? `, ${processing} processing` : ''} · updated ${new Date().toLocaleTimeString()}`,
    scope: top.synthetic,
  };
}

startPage({
  allVideos: true,
  load,
  clear: () => paint(null, new Map()),
  stale: () => {
    table.dataset.stale = 'true';
  },
});
