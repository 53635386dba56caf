/**
 * A ladder from what the stack published: the master playlist, each media playlist, and the size
 * of every file they name (the caller lists the object store or sends HEADs — no I/O here).
 * Rungs keep master order, which is what VHS sees (streamloop writes the lowest first); BANDWIDTH
 * is taken as declared, audio included, because that is the number VHS compares.
 * Only what the model needs is read: STREAM-INF (BANDWIDTH, RESOLUTION, URI), the audio MEDIA URI,
 * TARGETDURATION, EXTINF, MAP and EXT-X-BYTERANGE.
 */
import { type Ladder, type MediaSegment, ModelInputError, type Rung } from './ladder.js';

export interface PublishedHls {
  /** Path of the master playlist; other URIs resolve against it (`media/v1/ladder/master.m3u8`). */
  masterPath: string;
  masterText: string;
  /** Media playlist text by resolved path. */
  mediaPlaylists: Readonly<Record<string, string>>;
  /** Size in bytes of a resolved file path; undefined when unknown (an error names it). */
  bytesOf(path: string): number | undefined;
}

interface MediaPlaylist {
  targetDurationSec: number;
  segments: MediaSegment[];
  initBytes: number | undefined;
}

export function ladderFromHls(published: PublishedHls): Ladder {
  const lines = published.masterText.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U')
    throw new ModelInputError(`${published.masterPath} line 1`, 'not an M3U8 playlist (#EXTM3U)');
  const rungs: Rung[] = [];
  let audioPath: string | undefined;
  let targetDurationSec = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const where = `${published.masterPath} line ${i + 1}`;
    if (line.startsWith('#EXT-X-MEDIA:') && attribute(line, 'TYPE') === 'AUDIO') {
      const uri = attribute(line, 'URI');
      if (uri !== undefined && audioPath === undefined) audioPath = resolve(published.masterPath, uri);
    }
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const bandwidth = Number(attribute(line, 'BANDWIDTH'));
    if (!(bandwidth > 0)) throw new ModelInputError(where, 'EXT-X-STREAM-INF without a positive BANDWIDTH');
    const resolution = /^(\d+)x(\d+)$/.exec(attribute(line, 'RESOLUTION') ?? '');
    if (!resolution) throw new ModelInputError(where, 'EXT-X-STREAM-INF without RESOLUTION=<w>x<h>');
    const uri = lines[i + 1];
    if (!uri || uri.startsWith('#'))
      throw new ModelInputError(where, 'EXT-X-STREAM-INF not followed by a URI line');
    const media = readMediaPlaylist(published, resolve(published.masterPath, uri));
    targetDurationSec = Math.max(targetDurationSec, media.targetDurationSec);
    rungs.push({
      bandwidth,
      width: Number(resolution[1]),
      height: Number(resolution[2]),
      segments: media.segments,
      ...(media.initBytes === undefined ? {} : { initBytes: media.initBytes }),
    });
  }
  if (rungs.length === 0) throw new ModelInputError(published.masterPath, 'has no EXT-X-STREAM-INF variants');
  const ladder: Ladder = { rungs, targetDurationSec };
  if (audioPath !== undefined) {
    const audio = readMediaPlaylist(published, audioPath);
    ladder.audio = {
      segments: audio.segments,
      ...(audio.initBytes === undefined ? {} : { initBytes: audio.initBytes }),
    };
  }
  return ladder;
}

function readMediaPlaylist(published: PublishedHls, path: string): MediaPlaylist {
  const text = published.mediaPlaylists[path];
  if (text === undefined) throw new ModelInputError(path, 'media playlist not provided');
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const segments: MediaSegment[] = [];
  let targetDurationSec: number | undefined;
  let initBytes: number | undefined;
  let pendingDuration: number | undefined;
  let pendingRange: number | undefined;
  const sizeOf = (uri: string, where: string): number => {
    const bytes = published.bytesOf(resolve(path, uri));
    if (bytes === undefined || !(bytes >= 0))
      throw new ModelInputError(where, `no size known for ${resolve(path, uri)}`);
    return bytes;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const where = `${path} line ${i + 1}`;
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDurationSec = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line.startsWith('#EXT-X-MAP:')) {
      const uri = attribute(line, 'URI');
      if (uri === undefined) throw new ModelInputError(where, 'EXT-X-MAP without URI');
      const range = attribute(line, 'BYTERANGE');
      initBytes = range !== undefined ? Number(range.split('@')[0]) : sizeOf(uri, where);
    } else if (line.startsWith('#EXTINF:')) {
      pendingDuration = Number.parseFloat(line.slice('#EXTINF:'.length));
      if (!(pendingDuration > 0)) throw new ModelInputError(where, 'EXTINF duration must be > 0');
    } else if (line.startsWith('#EXT-X-BYTERANGE:')) {
      pendingRange = Number(line.slice('#EXT-X-BYTERANGE:'.length).split('@')[0]);
    } else if (line !== '' && !line.startsWith('#')) {
      if (pendingDuration === undefined)
        throw new ModelInputError(where, 'segment URI without a preceding EXTINF');
      segments.push({ durationSec: pendingDuration, bytes: pendingRange ?? sizeOf(line, where) });
      pendingDuration = undefined;
      pendingRange = undefined;
    }
  }
  if (targetDurationSec === undefined || !(targetDurationSec > 0)) {
    throw new ModelInputError(path, 'no positive EXT-X-TARGETDURATION');
  }
  if (segments.length === 0) throw new ModelInputError(path, 'has no segments');
  return { targetDurationSec, segments, initBytes };
}

/** An attribute of an EXT-X tag line, quotes removed. */
function attribute(line: string, name: string): string | undefined {
  const match = new RegExp(`[:,]${name}=("([^"]*)"|[^,]*)`).exec(line);
  if (!match) return undefined;
  return match[2] ?? match[1];
}

/** A URI relative to the playlist that names it; absolute paths and URLs stay as they are. */
function resolve(fromPath: string, uri: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) return uri;
  const base = fromPath.includes('/') ? fromPath.slice(0, fromPath.lastIndexOf('/') + 1) : '';
  const parts: string[] = [];
  for (const part of (base + uri).split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}
