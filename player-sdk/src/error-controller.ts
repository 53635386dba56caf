/**
 * Errors with their code, message and whether playback could go on.
 *
 * - fatal: the player's `error` event. video.js stops playback and shows its error display, so
 *   before the first frame this is a video start failure, after it a playback failure.
 * - non-fatal: a manifest or segment request that failed (VHS retries it or switches rendition);
 *   at most `maxNonFatal` per view, so a flapping CDN cannot flood the collector. The request that
 *   made playback fail is reported too, often just after the fatal error it caused (VHS handles
 *   the response before the SDK sees the request end).
 */
import type { Emit } from './beacon-factory.js';
import type { RequestFailure } from './network-controller.js';
import type { Listener, PlayerLike } from './player-like.js';

// Indexes of video.js MediaError codes (and of the HTML MediaError codes they extend).
const MEDIA_ERROR_NAMES = [
  'MEDIA_ERR_CUSTOM',
  'MEDIA_ERR_ABORTED',
  'MEDIA_ERR_NETWORK',
  'MEDIA_ERR_DECODE',
  'MEDIA_ERR_SRC_NOT_SUPPORTED',
  'MEDIA_ERR_ENCRYPTED',
];

export function errorCodeOf(code: number | string | undefined): string {
  if (typeof code === 'number') return MEDIA_ERROR_NAMES[code] ?? `MEDIA_ERR_${code}`;
  return (code ?? 'MEDIA_ERR_UNKNOWN').slice(0, 64);
}

export interface ErrorController {
  /** A request failed; VHS carries on. */
  requestFailed(failure: RequestFailure): void;
  fatal(): boolean;
  count(): number;
  /** `CODE: message` of the last error. */
  last(): string | undefined;
  destroy(): void;
}

export function createErrorController(deps: {
  player: PlayerLike;
  emit: Emit;
  maxNonFatal?: number;
}): ErrorController {
  const maxNonFatal = deps.maxNonFatal ?? 20;
  let fatal = false;
  let count = 0;
  let nonFatal = 0;
  let last: string | undefined;

  const report = (errorCode: string, errorMessage: string, isFatal: boolean): void => {
    count++;
    last = `${errorCode}: ${errorMessage}`;
    deps.emit('error', { errorCode, errorMessage: errorMessage.slice(0, 1024), fatal: isFatal });
  };

  const onError: Listener = () => {
    const error = deps.player.error();
    if (!error) return;
    fatal = true;
    report(errorCodeOf(error.code), error.message ?? '', true);
  };
  deps.player.on('error', onError);

  return {
    requestFailed({ requestType, status }) {
      if (nonFatal >= maxNonFatal) return;
      nonFatal++;
      report(
        status > 0 ? `HTTP_${status}` : 'NETWORK_ERROR',
        `${requestType} request failed${status > 0 ? ` with HTTP ${status}` : ''}`,
        false,
      );
    },
    fatal: () => fatal,
    count: () => count,
    last: () => last,
    destroy: () => deps.player.off('error', onError),
  };
}
