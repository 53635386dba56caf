/**
 * `<streamloop-player video-id="…">`: `createPlayer` as a custom element, for pages that want the
 * player without writing script. Registered by the script-tag bundle only (browser-global.ts), so the
 * ESM entry stays free of side effects.
 *
 * Attributes: `video-id` (required), `api-base`, `collector-url` (default `{api-base}/v1/beacons`),
 * `playback-url` (a signed manifest URL from the page's backend), and the booleans `autoplay`
 * (always muted: browsers refuse unmuted autoplay), `muted`, `controls`, `loop`, plus `start`
 * (seconds). A change to any of them rebuilds the player; removing the element destroys it.
 */
import { createPlayer, type StreamloopPlayer } from './create-player.js';

export const PLAYER_ELEMENT_NAME = 'streamloop-player';

const OBSERVED = [
  'video-id',
  'api-base',
  'collector-url',
  'playback-url',
  'autoplay',
  'muted',
  'controls',
  'loop',
  'start',
] as const;

/** `{api-base}/v1/beacons`, or this page's own collector when no API base is given. */
function defaultCollectorUrl(apiBase: string | null): string {
  return `${(apiBase ?? '').replace(/\/+$/, '')}/v1/beacons`;
}

/** Defines the element once; a second bundle on the same page keeps the first definition. */
export function definePlayerElement(registry: CustomElementRegistry = customElements): void {
  if (registry.get(PLAYER_ELEMENT_NAME) !== undefined) return;

  class StreamloopPlayerElement extends HTMLElement {
    static get observedAttributes(): readonly string[] {
      return OBSERVED;
    }

    /** The running player (`{ player, monitor, ready }`), once connected with a `video-id`. */
    streamloop: StreamloopPlayer | undefined;

    connectedCallback(): void {
      this.render();
    }

    disconnectedCallback(): void {
      this.destroy();
    }

    attributeChangedCallback(_name: string, previous: string | null, next: string | null): void {
      if (previous !== next && this.isConnected) this.render();
    }

    /** Disposes the player, which ends the view and removes every listener the monitor added. */
    destroy(): void {
      this.streamloop?.player.dispose();
      this.streamloop = undefined;
      this.replaceChildren();
    }

    private render(): void {
      this.destroy();
      const videoId = this.getAttribute('video-id');
      if (videoId === null || videoId === '') return;
      const apiBase = this.getAttribute('api-base');
      const autoplay = this.hasAttribute('autoplay');
      const start = Number(this.getAttribute('start') ?? '0');
      const video = document.createElement('video');
      video.className = 'video-js vjs-big-play-centered';
      video.setAttribute('playsinline', '');
      this.append(video);
      const streamloop = createPlayer(video, {
        videoId,
        apiBase: apiBase ?? undefined,
        collectorUrl: this.getAttribute('collector-url') ?? defaultCollectorUrl(apiBase),
        playbackUrl: this.getAttribute('playback-url') ?? undefined,
        playerOptions: {
          fluid: true,
          controls: this.hasAttribute('controls'),
          loop: this.hasAttribute('loop'),
          muted: autoplay || this.hasAttribute('muted'),
          autoplay: autoplay ? 'muted' : false,
        },
      });
      if (Number.isFinite(start) && start > 0) {
        streamloop.player.one('loadedmetadata', () => streamloop.player.currentTime(start));
      }
      this.streamloop = streamloop;
      this.dispatchEvent(new CustomEvent('streamloop:ready', { detail: streamloop }));
    }
  }

  registry.define(PLAYER_ELEMENT_NAME, StreamloopPlayerElement);
}
