/**
 * The whole encode of one source into a complete output folder: fit the ladder, run the one ffmpeg
 * process (every rung, the shared audio, poster, storyboard and thumbnails from a single decode), then measure
 * the fMP4 files and write the HLS playlists, the DASH MPD and the storyboard WebVTT from them.
 * The worker calls this and publishes the folder; it never sees a command line or a playlist.
 *
 * The output folder stands for the video's folder (`media/<videoId>/`): the encode lands in its
 * ladder's subfolder (`<outputDir>/default/`), so the record's paths, relative to the video's folder
 * as core's LadderRecord states them, are relative to `outputDir` too.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import {
  AUDIO_FOLDER,
  DASH_MANIFEST,
  ladderFolder,
  MASTER_PLAYLIST,
  POSTER,
  THUMBNAIL_FOLDER,
  THUMBNAIL_PATTERN,
  thumbnailFile,
} from '@streamloop/core/object-layout';
import type { Ladder, LadderRecord } from '@streamloop/core/schemas/ladder';
import { ENCODER_PLAYLIST, type EncodeOptions, runEncode } from './ffmpeg-command.js';
import { fitLadder, outputFrameRate } from './fit-ladder.js';
import { dashManifest } from './packaging/dash-manifest.js';
import {
  IFRAME_PLAYLIST,
  iframePlaylist,
  MEDIA_PLAYLIST,
  masterPlaylist,
  mediaPlaylist,
} from './packaging/hls-playlists.js';
import { INIT_SEGMENT, type MeasuredTrack, readTrack } from './packaging/read-track.js';
import { planStoryboard, STORYBOARD_VTT, storyboardVtt } from './packaging/storyboard.js';

export interface PackageSource {
  input: string;
  /** The demuxer the probe found. */
  formatName: string;
  durationSec: number;
  width: number;
  height: number;
  /** As probed; undefined when the probe found none. */
  frameRate: number | undefined;
  hasAudio: boolean;
}

export interface PackageSettings {
  /** Stands for the video's folder; the encode goes into its ladder's subfolder. */
  outputDir: string;
  ladder?: Ladder;
  /** 6 s CMAF segments and an IDR every 2 s (Apple HLS authoring spec). */
  segmentSeconds?: number;
  keyframeSeconds?: number;
}

/** One thumbnail per keyframe interval, at most this high (never upscaled past the top rung). */
const THUMBNAIL_HEIGHT = 360;

/** The top rung's picture (already square pixels, even sides), shrunk to THUMBNAIL_HEIGHT if taller. */
function thumbnailSize(top: { width: number; height: number }): { width: number; height: number } {
  if (top.height <= THUMBNAIL_HEIGHT) return { width: top.width, height: top.height };
  return { width: 2 * Math.round((top.width * THUMBNAIL_HEIGHT) / top.height / 2), height: THUMBNAIL_HEIGHT };
}

/** 2 s per second of content and rung on 2 cores is ~10× what veryfast needs; a stuck ffmpeg still dies. */
export function encodeTimeoutSec(durationSec: number, rungs: number): number {
  return Math.ceil(120 + durationSec * 2 * Math.max(1, rungs));
}

export async function encodeAndPackage(
  source: PackageSource,
  settings: PackageSettings,
  options: Partial<EncodeOptions> = {},
): Promise<LadderRecord> {
  const ladder = settings.ladder ?? DEFAULT_LADDER;
  const renditions = fitLadder(source, ladder);
  const frameRate = outputFrameRate(source.frameRate);
  const folder = ladderFolder(ladder.id);
  const inFolder = (file: string) => folder + file;
  const outputDir = path.join(settings.outputDir, folder);
  const keyframeSeconds = settings.keyframeSeconds ?? 2;
  const top = renditions[renditions.length - 1]!;
  // ffmpeg's image2 muxer writes into a folder but does not create it.
  await mkdir(path.join(outputDir, THUMBNAIL_FOLDER), { recursive: true });
  await runEncode(
    {
      input: source.input,
      formatName: source.formatName,
      durationSec: source.durationSec,
      frameRate,
      hasAudio: source.hasAudio,
      renditions,
      audioBitrateKbps: ladder.audioBitrateKbps,
      presets: ladder.presets,
      outputDir,
      segmentSeconds: settings.segmentSeconds ?? 6,
      keyframeSeconds,
      storyboard: planStoryboard(source),
      thumbnails: { intervalSec: keyframeSeconds, ...thumbnailSize(top) },
    },
    {
      ...options,
      timeoutSec: options.timeoutSec ?? encodeTimeoutSec(source.durationSec, renditions.length),
    },
  );

  const folders = [...renditions.map((r) => r.name), ...(source.hasAudio ? [AUDIO_FOLDER] : [])];
  const tracks = new Map<string, MeasuredTrack>();
  for (const folder of folders) {
    const dir = path.join(outputDir, folder);
    await normaliseEncoderOutput(dir);
    const track = await readTrack(dir);
    tracks.set(folder, track);
    await writeFile(path.join(dir, MEDIA_PLAYLIST), mediaPlaylist(track));
    if (track.kind === 'video') await writeFile(path.join(dir, IFRAME_PLAYLIST), iframePlaylist(track));
  }
  const audio = source.hasAudio ? tracks.get(AUDIO_FOLDER) : undefined;
  const videos = renditions.map((r) => ({ track: tracks.get(r.name)!, frameRate }));
  await writeFile(path.join(outputDir, MASTER_PLAYLIST), masterPlaylist(videos, audio));
  await writeFile(path.join(outputDir, DASH_MANIFEST), dashManifest(videos, audio));
  await writeFile(
    path.join(outputDir, STORYBOARD_VTT),
    storyboardVtt(planStoryboard(source), source.durationSec),
  );

  const thumbnailCount = await countThumbnails(outputDir);

  return {
    ladderId: ladder.id,
    ladderVersion: ladder.version,
    master: inFolder(MASTER_PLAYLIST),
    dash: inFolder(DASH_MANIFEST),
    poster: inFolder(POSTER),
    storyboard: inFolder(STORYBOARD_VTT),
    thumbnails: { intervalSec: keyframeSeconds, count: thumbnailCount, pattern: inFolder(THUMBNAIL_PATTERN) },
    frameRate,
    renditions: renditions.map((r) => {
      const track = tracks.get(r.name)!;
      return {
        ...r,
        codecs: track.codecs,
        peakBitrate: track.peakBitrate,
        averageBitrate: track.averageBitrate,
        playlist: inFolder(`${r.name}/${MEDIA_PLAYLIST}`),
        iframePlaylist: inFolder(`${r.name}/${IFRAME_PLAYLIST}`),
      };
    }),
    audio:
      audio === undefined
        ? undefined
        : {
            codecs: audio.codecs,
            peakBitrate: audio.peakBitrate,
            averageBitrate: audio.averageBitrate,
            playlist: inFolder(`${AUDIO_FOLDER}/${MEDIA_PLAYLIST}`),
          },
  };
}

/** ffmpeg's hls muxer numbers init files per variant (`init_2.mp4`) and writes playlists we replace. */
async function normaliseEncoderOutput(dir: string): Promise<void> {
  const init = (await readdir(dir)).find((file) => /^init(_\d+)?\.mp4$/.test(file));
  if (init === undefined) throw new Error(`the encoder wrote no init segment for ${path.basename(dir)}`);
  if (init !== INIT_SEGMENT) await rename(path.join(dir, init), path.join(dir, INIT_SEGMENT));
  await rm(path.join(dir, ENCODER_PLAYLIST), { force: true });
}

/** What the encoder actually wrote (`t_00000.jpg` … without gaps), so the record never names a missing file. */
async function countThumbnails(outputDir: string): Promise<number> {
  const written = new Set(await readdir(path.join(outputDir, THUMBNAIL_FOLDER)));
  let count = 0;
  while (written.has(path.basename(thumbnailFile(count)))) count += 1;
  if (count === 0) throw new Error('the encoder wrote no thumbnails');
  return count;
}
