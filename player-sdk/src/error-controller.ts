/**
 * Playback errors as video.js reports them. An `error` event on a video.js player stops playback
 * (the error display takes over), so these are fatal.
 */
import type { Emit } from './beacon-factory.js';
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

export function createErrorController(deps: { player: PlayerLike; emit: Emit }): { destroy(): void } {
  const onError: Listener = () => {
    const error = deps.player.error();
    if (!error) return;
    deps.emit('error', {
      errorCode: errorCodeOf(error.code),
      errorMessage: (error.message ?? '').slice(0, 1024),
      fatal: true,
    });
  };
  deps.player.on('error', onError);
  return {
    destroy: () => deps.player.off('error', onError),
  };
}
