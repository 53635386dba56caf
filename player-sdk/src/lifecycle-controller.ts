/**
 * When a view ends: the media ended, the page is being hidden or unloaded, or the player is
 * disposed. It ends once; if the viewer comes back and plays on (tab shown again, replay after the
 * end), the same view continues and may end again later — consumers take the last `viewend`.
 */
import type { HideReason, PageEvents } from './page-events.js';
import type { Listener, PlayerLike } from './player-like.js';

export type EndReason = 'ended' | 'dispose' | HideReason;

export interface LifecycleDeps {
  player: PlayerLike;
  page?: PageEvents;
  /** Emits `viewend`. */
  onViewEnd(reason: EndReason): void;
  /** Sends what is queued; `unloading`: the page may not run another task. */
  flush(unloading: boolean): void;
}

export interface LifecycleController {
  /** Ends the view from outside (the player is being disposed). */
  end(reason: EndReason): void;
  destroy(): void;
}

export function createLifecycleController(deps: LifecycleDeps): LifecycleController {
  const { player } = deps;
  let ended = false;

  const end = (reason: EndReason): void => {
    if (!ended) {
      ended = true;
      deps.onViewEnd(reason);
    }
    // Even when the view already ended (media ended, then the tab closes), queued beacons must leave.
    deps.flush(reason === 'pagehide' || reason === 'hidden' || reason === 'dispose');
  };
  const resume = (): void => {
    ended = false;
  };

  const onEnded: Listener = () => end('ended');
  const onPlay: Listener = () => resume();
  const unsubscribePage = deps.page?.subscribe({
    onHide: (reason) => end(reason),
    onShow: () => {
      if (!player.paused()) resume();
    },
  });
  player.on('ended', onEnded);
  player.on('play', onPlay);

  return {
    end,
    destroy() {
      unsubscribePage?.();
      player.off('ended', onEnded);
      player.off('play', onPlay);
    },
  };
}
