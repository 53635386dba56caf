/**
 * Which renditions a source gets. A ladder is data (core's schemas/ladder.ts) — versioned, stored
 * with the video, so per-title planning can tune it and experiments compare two — and fitting
 * adapts it to one source: never upscaled, aspect kept, even dimensions (4:2:0 chroma needs them),
 * at least two rungs so a player has something to adapt between.
 *
 * A rung's `height` is the SHORT side of the picture: a portrait 1080×1920 phone clip gets the
 * same pixel budget at "720p" (720×1280) as a landscape one.
 */
import { DEFAULT_LADDER, h264Rung } from '@streamloop/core/ladders';
import type { Ladder, LadderRung, Rendition } from '@streamloop/core/schemas/ladder';

const REFERENCE = { pixels: 1280 * 720, kbps: 2800 };
const MIN_VIDEO_KBPS = 100;

// Rounded down so that a rendition never exceeds the source by the odd pixel.
const floorEven = (n: number): number => Math.max(2, 2 * Math.floor(n / 2));

export function fitLadder(
  source: { width: number; height: number },
  ladder: Ladder = DEFAULT_LADDER,
): Rendition[] {
  const portrait = source.height > source.width;
  const short = portrait ? source.width : source.height;
  const long = portrait ? source.height : source.width;
  const shortEven = floorEven(short);
  const rungs: LadderRung[] = ladder.rungs.filter((rung) => rung.height <= shortEven).map((r) => ({ ...r }));
  // Too small for the ladder: the source's own size, then half of it. A rung added under every rung
  // of the ladder spends at most half the lowest one's bits: a per-title ladder of one cheap rung
  // (a slide deck's 64 kbit/s) must not gain a fallback that costs ten times more.
  for (const height of [shortEven, floorEven(shortEven / 2)]) {
    if (new Set(rungs.map((r) => r.height)).size >= 2) break;
    if (rungs.some((rung) => rung.height === height)) continue;
    const added = customRung(short, long, height);
    const lowest = rungs.reduce<LadderRung | undefined>(
      (low, r) => (low && low.height <= r.height ? low : r),
      undefined,
    );
    if (lowest !== undefined && height < lowest.height) {
      const kbps = Math.min(added.videoBitrateKbps, Math.floor(lowest.videoBitrateKbps / 2));
      rungs.push(h264Rung(height, kbps));
    } else rungs.push(added);
  }
  const sorted = rungs.sort((a, b) => a.height - b.height || a.videoBitrateKbps - b.videoBitrateKbps);
  const names = new Set<string>();
  return sorted.map((rung) => {
    const longSide = Math.min(floorEven((long * rung.height) / short), floorEven(long));
    let name = rung.codec === 'h264' ? `${rung.height}p` : `${rung.height}p-${rung.codec}`;
    for (let n = 2; names.has(name); n++) name = `${rung.height}p-${rung.codec}-${n}`;
    names.add(name);
    const { height, ...rest } = rung;
    return {
      ...rest,
      name,
      width: portrait ? height : longSide,
      height: portrait ? longSide : height,
      shortSide: height,
    };
  });
}

/** Bitrate scaled by pixel count from the 720p rung. */
function customRung(short: number, long: number, height: number): LadderRung {
  const pixels = ((long * height) / short) * height;
  return h264Rung(height, Math.max(MIN_VIDEO_KBPS, Math.round((REFERENCE.kbps * pixels) / REFERENCE.pixels)));
}

/** Output frame rate: the source's, halved (or more) until ≤ 60 fps; 30 when the probe found none. */
export function outputFrameRate(sourceFps: number | undefined): number {
  if (sourceFps === undefined) return 30;
  const divisor = Math.ceil(sourceFps / 60 - 1e-9);
  return Math.round((sourceFps / Math.max(1, divisor)) * 1000) / 1000;
}
