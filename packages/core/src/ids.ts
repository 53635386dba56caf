/**
 * The ids that name things across services, as one pattern each: a video id travels through the
 * catalog, object keys, URLs, tokens and beacons, and every one of them must accept the same set.
 */

/** Catalog ids are base64url (they may start with '-' or '_'), 8 to 64 characters. */
export const VIDEO_ID_PATTERN = '^[A-Za-z0-9_-]{8,64}$';
export const VIDEO_ID = new RegExp(VIDEO_ID_PATTERN);
/** The characters a video id may contain, whatever its length (to tell a malformed path from an unknown id). */
export const VIDEO_ID_CHARACTERS = /^[A-Za-z0-9_-]+$/;

/** A ladder id names a folder below the video (`media/<videoId>/<ladderId>/`), so it is a plain name. */
export const LADDER_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
export const LADDER_ID = new RegExp(LADDER_ID_PATTERN);

export function isVideoId(value: string): boolean {
  return VIDEO_ID.test(value);
}
