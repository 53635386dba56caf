/**
 * Rendition switches, from video.js' quality-levels list, which VHS updates when it selects its
 * first playlist and on every ABR switch (`change`). Emits `renditionchange` with the new rung
 * (`bitrateKbps`, `width`, `height`), the previous one (`from*`: a down-switch is
 * `bitrateKbps < fromBitrateKbps`) and VHS' reason, which it announces just before switching as a
 * `usage` event on the tech (`vhs-rendition-change-abr`, `-exclude`, `-fast-quality`, ...).
 * These are switches of what VHS downloads; the heartbeat follows what is on screen.
 */
import type { Emit } from './beacon-factory.js';
import type { Listener, PlayerLike, QualityLevelLike, TechLike } from './player-like.js';

export interface Rung {
  bitrateKbps?: number;
  width?: number;
  height?: number;
}

export interface RenditionController {
  /** The rung VHS downloads now. */
  current(): Rung | undefined;
  switches(): number;
  /** The rung whose picture size this is, for what is on screen. */
  rungOfSize(width: number, height: number): Rung | undefined;
  destroy(): void;
}

const USAGE_PREFIX = 'vhs-rendition-change-';

export const rungOf = (level: QualityLevelLike): Rung => ({
  bitrateKbps: level.bitrate === undefined ? undefined : Math.round(level.bitrate / 1000),
  width: level.width,
  height: level.height,
});

export function createRenditionController(deps: { player: PlayerLike; emit: Emit }): RenditionController {
  const { player } = deps;
  const levels = player.qualityLevels?.();
  let lastId: string | undefined;
  let current: Rung | undefined;
  let reason: string | undefined;
  let switches = 0;
  let tech: TechLike | undefined;

  const onUsage: Listener = (event) => {
    const name = (event as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string' && name.startsWith(USAGE_PREFIX)) reason = name.slice(USAGE_PREFIX.length);
  };
  // The tech is created with the player, and again when a source needs another one.
  const watchTech = (): void => {
    const next = player.tech?.(true);
    if (next === tech) return;
    tech?.off?.('usage', onUsage);
    tech = next;
    tech?.on?.('usage', onUsage);
  };

  const onChange: Listener = () => {
    if (levels === undefined) return;
    const level = levels[levels.selectedIndex];
    if (level === undefined || level.id === lastId) return;
    const from = current;
    const to = rungOf(level);
    lastId = level.id;
    current = to;
    if (from) switches++;
    deps.emit('renditionchange', {
      ...to,
      fromBitrateKbps: from?.bitrateKbps,
      fromWidth: from?.width,
      fromHeight: from?.height,
      switchReason: from ? (reason ?? 'abr') : 'initial',
    });
    reason = undefined;
  };

  watchTech();
  player.on('loadstart', watchTech);
  levels?.on('change', onChange);
  onChange();
  return {
    current: () => current,
    switches: () => switches,
    rungOfSize(width, height) {
      if (levels === undefined) return undefined;
      // The rung VHS downloads wins a tie between rungs of one size (same picture, other bitrates).
      const selected = levels[levels.selectedIndex];
      if (selected?.width === width && selected.height === height) return rungOf(selected);
      for (let i = 0; i < levels.length; i++) {
        const level = levels[i];
        if (level?.width === width && level.height === height) return rungOf(level);
      }
      return undefined;
    },
    destroy() {
      levels?.off('change', onChange);
      player.off('loadstart', watchTech);
      tech?.off?.('usage', onUsage);
    },
  };
}
