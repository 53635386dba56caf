/**
 * Rendition switches, from video.js' quality-levels list, which VHS updates when it selects its
 * first playlist and on every ABR switch (`change`). Emits `renditionchange` with the rendition's
 * bitrate and size; the same rendition twice in a row is not a change.
 */
import type { Emit } from './beacon-factory.js';
import type { Listener, PlayerLike } from './player-like.js';

export function createRenditionController(deps: { player: PlayerLike; emit: Emit }): { destroy(): void } {
  const levels = deps.player.qualityLevels?.();
  if (levels === undefined) return { destroy() {} };
  let lastId: string | undefined;

  const onChange: Listener = () => {
    const level = levels[levels.selectedIndex];
    if (level === undefined || level.id === lastId) return;
    lastId = level.id;
    deps.emit('renditionchange', {
      bitrateKbps: level.bitrate === undefined ? undefined : Math.round(level.bitrate / 1000),
      width: level.width,
      height: level.height,
    });
  };

  levels.on('change', onChange);
  onChange();
  return {
    destroy: () => levels.off('change', onChange),
  };
}
