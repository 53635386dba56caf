/**
 * HLS AES-128 for a finished encode, in place, before anything is published: every segment and
 * every fMP4 init section (`#EXT-X-MAP`) named by a media playlist is encrypted with AES-128-CBC
 * (PKCS#7 padding, RFC 8216 §4.3.2.4) under the video's key, each with its own random IV, and the
 * playlist gets an `#EXT-X-KEY:METHOD=AES-128,URI=…,IV=…` before each of them.
 *
 * The key itself never enters the output folder: the playlists name delivery's key route, which
 * serves it from the catalog behind the playback token. DASH manifests are removed: they would
 * describe segments no DASH player can decrypt (no ClearKey/CENC here); so are I-frame playlists.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { aesKeyUrlPath } from '@streamloop/core/object-layout';

/** Delivery's key route, per video (delivery/src/key-routes.ts serves it). */
export function keyUri(videoId: string): string {
  return aesKeyUrlPath(videoId);
}

export interface EncryptionResult {
  /** Files encrypted, relative to the output folder. */
  encrypted: string[];
  /** DASH manifests and I-frame playlists removed. */
  removedManifests: string[];
}

const I_FRAME_STREAM = '#EXT-X-I-FRAME-STREAM-INF';

const URI_ATTRIBUTE = /URI="([^"]*)"/;

export async function encryptRenditions(
  outputDir: string,
  videoId: string,
  key: Buffer,
): Promise<EncryptionResult> {
  if (key.length !== 16) throw new Error(`an AES-128 key has 16 bytes, not ${key.length}`);
  const files = (await readdir(outputDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const encrypted: string[] = [];
  const removedManifests: string[] = [];
  const done = new Set<string>();

  for (const file of files.filter((f) => f.endsWith('.mpd'))) {
    await rm(file);
    removedManifests.push(path.relative(outputDir, file));
  }
  // I-frame playlists address byte ranges inside whole-segment-encrypted files, which no player can
  // decrypt on their own: they go, and the master stops naming them (trick play is lost, playback is not).
  const playlists: string[] = [];
  for (const playlist of files.filter((f) => f.endsWith('.m3u8'))) {
    const text = await readFile(playlist, 'utf8');
    if (text.includes('#EXT-X-I-FRAMES-ONLY')) {
      await rm(playlist);
      removedManifests.push(path.relative(outputDir, playlist));
    } else if (text.includes(I_FRAME_STREAM)) {
      const kept = text.split('\n').filter((line) => !line.trim().startsWith(I_FRAME_STREAM));
      await writeFile(playlist, kept.join('\n'));
    } else {
      playlists.push(playlist);
    }
  }
  for (const playlist of playlists) {
    const text = await readFile(playlist, 'utf8');
    if (!text.includes('#EXTINF')) continue; // a master playlist names playlists, not media
    if (text.includes('#EXT-X-BYTERANGE')) {
      throw new Error(
        `${path.relative(outputDir, playlist)} uses byte ranges; segments cannot be encrypted one by one`,
      );
    }
    if (text.includes('#EXT-X-KEY'))
      throw new Error(`${path.relative(outputDir, playlist)} is already encrypted`);

    const dir = path.dirname(playlist);
    const encryptOnce = async (uri: string, iv: Buffer): Promise<void> => {
      const target = path.resolve(dir, uri);
      if (!target.startsWith(outputDir + path.sep)) throw new Error(`${uri} is outside the encode's folder`);
      // One init section may be shared by several playlists; it is encrypted once, with one IV.
      if (done.has(target)) throw new Error(`${uri} is named twice; each needs its own IV`);
      done.add(target);
      await encryptFile(target, key, iv);
      encrypted.push(path.relative(outputDir, target));
    };

    const out: string[] = [];
    for (const line of text.split('\n')) {
      const trimmed = line.trim();
      if (trimmed.startsWith('#EXT-X-MAP:')) {
        const uri = URI_ATTRIBUTE.exec(trimmed)?.[1];
        if (uri === undefined) throw new Error('#EXT-X-MAP without a URI');
        // RFC 8216 §4.3.2.5: an encrypted init section needs an explicit IV.
        const iv = randomBytes(16);
        await encryptOnce(uri, iv);
        out.push(keyTag(videoId, iv));
      } else if (trimmed !== '' && !trimmed.startsWith('#')) {
        const iv = randomBytes(16);
        await encryptOnce(trimmed, iv);
        // The key tag goes before the segment's #EXTINF when that is the line before its URI
        // (ffmpeg's layout); anywhere among the segment's tags is valid too.
        const previous = out.at(-1)?.trim() ?? '';
        out.splice(previous.startsWith('#EXTINF') ? out.length - 1 : out.length, 0, keyTag(videoId, iv));
      }
      out.push(line);
    }
    await writeFile(playlist, out.join('\n'));
  }
  return { encrypted, removedManifests };
}

function keyTag(videoId: string, iv: Buffer): string {
  return `#EXT-X-KEY:METHOD=AES-128,URI="${keyUri(videoId)}",IV=0x${iv.toString('hex')}`;
}

async function encryptFile(file: string, key: Buffer, iv: Buffer): Promise<void> {
  const temporary = `${file}.encrypting`;
  await pipeline(
    createReadStream(file),
    createCipheriv('aes-128-cbc', key, iv),
    createWriteStream(temporary),
  );
  await rename(temporary, file);
}
