/**
 * Seek-preview storyboard: frames every `intervalSec`, tiled into JPEG sprite sheets, and a WebVTT
 * file whose cues point at each tile with a media fragment (`storyboard_000.jpg#xywh=x,y,w,h`), the
 * format video.js, JW Player and Shaka read for thumbnails.
 */
export const STORYBOARD_VTT = 'storyboard.vtt';
export const storyboardSheet = (index: number): string => `storyboard_${String(index).padStart(3, '0')}.jpg`;
/** ffmpeg's image2 pattern for the same names. */
export const STORYBOARD_PATTERN = 'storyboard_%03d.jpg';

export interface StoryboardPlan {
  intervalSec: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  /** Tiles in total: one per interval started. */
  count: number;
}

const TILE_WIDTH = 160;
const GRID = 10;
/** At most 100 tiles per sheet and an interval of 1–10 s: a 2 h film makes 8 sheets. */
const MIN_INTERVAL_SEC = 1;
const MAX_INTERVAL_SEC = 10;
const TARGET_TILES = 100;

export function planStoryboard(source: {
  width: number;
  height: number;
  durationSec: number;
}): StoryboardPlan {
  const intervalSec = Math.min(
    MAX_INTERVAL_SEC,
    Math.max(MIN_INTERVAL_SEC, Math.ceil(source.durationSec / TARGET_TILES)),
  );
  const tileHeight = Math.max(2, 2 * Math.round((TILE_WIDTH * source.height) / source.width / 2));
  const count = Math.max(1, Math.ceil(source.durationSec / intervalSec - 1e-6));
  return { intervalSec, tileWidth: TILE_WIDTH, tileHeight, columns: GRID, rows: GRID, count };
}

/** The filter chain that turns the decoded picture into sheets. */
export function storyboardFilter(plan: StoryboardPlan): string {
  return [
    `fps=1/${plan.intervalSec}:round=down`,
    `scale=w=${plan.tileWidth}:h=${plan.tileHeight}`,
    'setsar=1',
    `tile=${plan.columns}x${plan.rows}`,
  ].join(',');
}

const timestamp = (sec: number): string => {
  const ms = Math.round(sec * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
};

export function storyboardVtt(plan: StoryboardPlan, durationSec: number): string {
  const perSheet = plan.columns * plan.rows;
  const cues = Array.from({ length: plan.count }, (_, i) => {
    const within = i % perSheet;
    const x = (within % plan.columns) * plan.tileWidth;
    const y = Math.floor(within / plan.columns) * plan.tileHeight;
    const start = i * plan.intervalSec;
    const end = Math.min((i + 1) * plan.intervalSec, durationSec);
    return [
      `${timestamp(start)} --> ${timestamp(end)}`,
      `${storyboardSheet(Math.floor(i / perSheet))}#xywh=${x},${y},${plan.tileWidth},${plan.tileHeight}`,
    ].join('\n');
  });
  return ['WEBVTT', '', ...cues.flatMap((cue) => [cue, ''])].join('\n');
}
