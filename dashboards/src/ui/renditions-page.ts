/**
 * `/dashboards/renditions`: what each rung and each ladder delivered over the range and what that
 * cost, next to the QoE of its viewers. Per rung: viewers, play time and its share, upscaled time, and
 * the QoE score, startup, rebuffer ratio and playback failures of the views on it
 * (`GET /api/v1/qoe/renditions`); per ladder: plays, mean bitrate, play time, startup and rebuffering
 * (the breakdown by ladder). Bytes are estimated from play: bitrate × play time (video only); costs
 * are bytes × the egress price typed (`?usdPerGb=`, 0.02 by default, as the experiments' costs).
 */
import type { ApiClient, BreakdownAnswer, QoeParams, RenditionsAnswer } from './api-client.js';
import { cell, emptyRow, suppressedRow } from './dom.js';
import { formatBytes, formatDuration, formatKbps, formatMs, formatRatio, integer, orDash } from './format.js';
import { $, type LoadResult, startPage } from './page-shell.js';

const DEFAULT_USD_PER_GB = 0.02;
const priceInput = $<HTMLInputElement>('#usd-per-gb');
const wantedPrice = Number(new URLSearchParams(location.search).get('usdPerGb'));
priceInput.value = String(Number.isFinite(wantedPrice) && wantedPrice > 0 ? wantedPrice : DEFAULT_USD_PER_GB);
const price = () => {
  const value = Number(priceInput.value);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_USD_PER_GB;
};

/** Bytes a viewer fetched to play `playTimeMs` at `kbps` (kbit/s × s ÷ 8). */
const bytesOf = (kbps: number, playTimeMs: number): number => (kbps * 1000 * playTimeMs) / 1000 / 8;
const usd = (bytes: number) => {
  const cost = (bytes / 1e9) * price();
  return `$${cost.toFixed(cost < 1 ? 4 : 2)}`;
};

const RUNG_COLUMNS = 11;
const LADDER_COLUMNS = 8;
const rungsTable = $('#rungs');
const rungRows = $('#rungs-rows');
const ladderTable = $('#ladders');
const ladderRows = $('#ladders-rows');
let shown: { rungs: RenditionsAnswer; ladders: BreakdownAnswer } | null = null;

function paint(): void {
  rungsTable.dataset.stale = 'false';
  ladderTable.dataset.stale = 'false';
  if (shown === null) {
    rungRows.replaceChildren();
    ladderRows.replaceChildren();
    return;
  }
  const { rungs, ladders } = shown;
  const percent = (value: number) => `${value.toFixed(1)} %`;
  const withheldRungs = rungs.privacy.suppressed.map((name) =>
    suppressedRow(name, RUNG_COLUMNS, rungs.privacy.minViewers),
  );
  const withheldLadders = ladders.privacy.suppressed.map((name) =>
    suppressedRow(name === '' ? 'unknown' : name, LADDER_COLUMNS, ladders.privacy.minViewers),
  );
  rungRows.replaceChildren(
    ...(rungs.renditions.length === 0 && withheldRungs.length === 0
      ? [emptyRow(RUNG_COLUMNS, 'No play on a known rung in this range.')]
      : rungs.renditions.map((rung) => {
          const tr = document.createElement('tr');
          tr.dataset.rendition = rung.rendition;
          const bytes = bytesOf(rung.bitrateKbps, rung.playTimeMs);
          tr.append(
            cell(`${rung.height}p · ${formatKbps(rung.bitrateKbps)}`, { column: 'rung' }),
            cell(integer.format(rung.viewers), { column: 'viewers' }, 'number'),
            cell(formatDuration(rung.playTimeMs), { column: 'play-time' }, 'number'),
            cell(`${rung.playTimePercent.toFixed(1)} %`, { column: 'share' }, 'number'),
            cell(orDash(rung.upscalePercent, percent), { column: 'upscaled' }, 'number'),
            cell(
              orDash(rung.qoeScore, (score) => score.toFixed(1)),
              { column: 'qoe' },
              'number',
            ),
            cell(orDash(rung.startupTimeMsP50, formatMs), { column: 'startup' }, 'number'),
            cell(orDash(rung.rebufferRatio, formatRatio), { column: 'rebuffer' }, 'number'),
            cell(orDash(rung.playbackFailurePercent, percent), { column: 'playback-failures' }, 'number'),
            cell(formatBytes(bytes), { column: 'bytes' }, 'number'),
            cell(usd(bytes), { column: 'cost' }, 'number'),
          );
          return tr;
        })),
    ...withheldRungs,
  );
  ladderRows.replaceChildren(
    ...(ladders.rows.length === 0 && withheldLadders.length === 0
      ? [emptyRow(LADDER_COLUMNS, 'No views in this range.')]
      : ladders.rows.map((row) => {
          const tr = document.createElement('tr');
          tr.dataset.ladder = row.value;
          const bytes =
            row.averageBitrateKbps === null ? null : bytesOf(row.averageBitrateKbps, row.playTimeMs);
          tr.append(
            cell(row.value === '' ? 'unknown' : row.value, { column: 'ladder' }),
            cell(integer.format(row.plays), { column: 'plays' }, 'number'),
            cell(orDash(row.averageBitrateKbps, formatKbps), { column: 'bitrate' }, 'number'),
            cell(formatDuration(row.playTimeMs), { column: 'play-time' }, 'number'),
            cell(orDash(bytes, formatBytes), { column: 'bytes' }, 'number'),
            cell(orDash(bytes, usd), { column: 'cost' }, 'number'),
            cell(orDash(row.startupTimeMs.p50, formatMs), { column: 'startup' }, 'number'),
            cell(orDash(row.rebufferRatio, formatRatio), { column: 'rebuffer' }, 'number'),
          );
          return tr;
        })),
    ...withheldLadders,
  );
}

async function load(api: ApiClient, params: QoeParams): Promise<LoadResult> {
  const [rungs, ladders] = await Promise.all([
    api.renditions(params),
    api.breakdown({ ...params, dimension: 'ladderId' }),
  ]);
  shown = { rungs, ladders };
  paint();
  if (rungs.renditions.length === 0 && ladders.rows.length === 0)
    return { state: 'empty', message: 'No views yet in this range.', scope: rungs.synthetic };
  return {
    state: 'ready',
    message: `${rungs.renditions.length} rungs, ${ladders.rows.length} ladders · updated ${new Date().toLocaleTimeString()}`,
    scope: rungs.synthetic,
  };
}

const shell = startPage({
  allVideos: true,
  load,
  clear: () => {
    shown = null;
    paint();
  },
  stale: () => {
    rungsTable.dataset.stale = 'true';
    ladderTable.dataset.stale = 'true';
  },
  writeUrl: (params) => params.set('usdPerGb', String(price())),
});
// Another price re-costs the numbers on screen: no new request.
priceInput.addEventListener('change', () => {
  const url = new URL(location.href);
  url.searchParams.set('usdPerGb', String(price()));
  history.replaceState(null, '', url);
  if (shown === null) shell.reload();
  else paint();
});
