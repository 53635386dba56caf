/**
 * Which renditions a source gets. Never upscaled, even dimensions (H.264 4:2:0 needs them), aspect
 * kept, and always at least two rungs so a player has something to adapt between.
 */
export interface LadderRung {
  height: number;
  videoBitrateKbps: number;
  audioBitrateKbps: number;
}

export interface Rendition extends LadderRung {
  /** Folder and variant name: '360p'. */
  name: string;
  width: number;
  /** VBV cap; BANDWIDTH in the master playlist derives from it. */
  maxrateKbps: number;
  bufsizeKbps: number;
}

/** The default ladder of issue 3; per-title ladders (issue 4) replace it. */
export const DEFAULT_LADDER: readonly LadderRung[] = [
  { height: 360, videoBitrateKbps: 800, audioBitrateKbps: 96 },
  { height: 720, videoBitrateKbps: 2800, audioBitrateKbps: 128 },
];

const REFERENCE = { pixels: 1280 * 720, kbps: 2800 };
const MIN_VIDEO_KBPS = 100;

// Rounded down so that a rendition never exceeds the source by the odd pixel.
const floorEven = (n: number): number => Math.max(2, 2 * Math.floor(n / 2));

export function planLadder(
  source: { width: number; height: number },
  ladder: readonly LadderRung[] = DEFAULT_LADDER,
): Rendition[] {
  const sourceHeight = floorEven(source.height);
  const rungs = ladder.filter((rung) => rung.height <= sourceHeight).map((rung) => ({ ...rung }));
  // Too small for the ladder: the source's own height, then half of it.
  for (const height of [sourceHeight, floorEven(sourceHeight / 2)]) {
    if (rungs.length >= 2) break;
    if (!rungs.some((rung) => rung.height === height)) rungs.push(customRung(source, height));
  }
  return rungs
    .sort((a, b) => a.height - b.height)
    .map((rung) => {
      const width = floorEven((source.width * rung.height) / source.height);
      return {
        ...rung,
        name: `${rung.height}p`,
        width,
        maxrateKbps: Math.round(rung.videoBitrateKbps * 1.07),
        bufsizeKbps: Math.round(rung.videoBitrateKbps * 1.5),
      };
    });
}

/** Bitrate scaled by pixel count from the 720p rung. */
function customRung(source: { width: number; height: number }, height: number): LadderRung {
  const pixels = ((source.width * height) / source.height) * height;
  return {
    height,
    videoBitrateKbps: Math.max(MIN_VIDEO_KBPS, Math.round((REFERENCE.kbps * pixels) / REFERENCE.pixels)),
    audioBitrateKbps: height >= 480 ? 128 : 96,
  };
}
