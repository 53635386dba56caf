/**
 * `createPlayer(element, options)`: a video.js player that plays a streamloop video and reports its
 * QoE. The source is set as soon as it is known; the player never waits on beacon delivery.
 */
import videojs from 'video.js';
import { type Monitor, type MonitorOptions, monitor } from './monitor.js';
import { PlaybackApiError, resolvePlaybackSource, startHintSourceOptions } from './playback-source.js';

type VideoJsPlayer = ReturnType<typeof videojs>;
type MediaErrorInput = Parameters<VideoJsPlayer['error']>[0];

export interface CreatePlayerOptions extends MonitorOptions {
  /** A (signed) manifest URL to play; when absent, the public playback API is asked for one. */
  playbackUrl?: string;
  /** Base of the streamloop API for the playback request; default: this page's origin. */
  apiBase?: string;
  /** Passed to `videojs()` as is (e.g. `{ autoplay: 'muted', fluid: true }`). */
  playerOptions?: Record<string, unknown>;
  /**
   * Start from the viewer's start-rung hint when the playback API answers one (`startBitrateKbps`):
   * VHS's first bandwidth estimate becomes what this viewer's network sustained in most recent views,
   * instead of its fixed guess or the browser's downlink. Default true; false keeps VHS's defaults.
   * A `bandwidth` the page sets in `playerOptions.html5.vhs` always wins.
   */
  startHint?: boolean;
}

export interface StreamloopPlayer {
  player: VideoJsPlayer;
  monitor: Monitor;
  /** Resolves once the source is set on the player, or once a playback failure is shown in it. */
  ready: Promise<void>;
}

export function createPlayer(
  element: HTMLVideoElement | string,
  options: CreatePlayerOptions,
): StreamloopPlayer {
  const player = videojs(element, { controls: true, preload: 'auto', ...options.playerOptions });
  // Play intent is the player being told to play, by the viewer or by autoplay (video.js plays once
  // the source loads), as Mux counts video startup; the playback API round trip before it shows as
  // the gap between `viewstart` and `playrequest`.
  const qoe = monitor(player, {
    playerName: 'video.js',
    playerVersion: (videojs as unknown as { VERSION?: string }).VERSION,
    ...options,
  });
  // This player is ours, so its play() (which the big play button, a click on the video and autoplay
  // all go through) records the intent in the same task. The `play` event a monitored player relies
  // on comes a task later, measured here up to ~70 ms later on a busy page.
  const play = player.play.bind(player);
  player.play = () => {
    qoe.playRequested();
    return play();
  };

  const synthetic = options.metadata?.synthetic === true ? { synthetic: true as const } : {};
  const ready = resolvePlaybackSource({ ...options, ...synthetic, viewerId: qoe.viewerId }).then(
    (source) => {
      qoe.setMetadata({ variant: source.variant, ladderId: source.ladderId, synthetic: source.synthetic });
      const hint =
        options.startHint === false
          ? {}
          : startHintSourceOptions(source.startBitrateKbps, options.playerOptions);
      player.src({ src: source.url, type: source.type, ...hint });
    },
    (err: unknown) => {
      // The API's code (ERR_PLAYBACK_RESTRICTED…) as the player's error code when it gave one, else
      // MEDIA_ERR_CUSTOM with the reason; the error controller turns either into a fatal error beacon.
      player.error(
        err instanceof PlaybackApiError && err.code !== undefined
          ? // video.js' MediaError copies an object's fields as given; only its types insist on a number.
            ({ code: err.code, message: err.message } as unknown as MediaErrorInput)
          : err instanceof Error
            ? err.message
            : String(err),
      );
    },
  );
  return { player, monitor: qoe, ready };
}
