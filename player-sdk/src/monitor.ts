/**
 * `monitor(player, options)`: QoE beacons for one view of one video on an existing video.js player.
 * It composes one controller per concern; each registers and removes its own listeners.
 */
import { type BeaconMetadata, createBeaconFactory, type Emit } from './beacon-factory.js';
import { type Clock, createBrowserClock } from './clock.js';
import { createErrorController } from './error-controller.js';
import { createPlayerFrameSource, type FrameSource } from './frame-source.js';
import { createHeartbeatController } from './heartbeat-controller.js';
import { isValidId, type KeyValueStorage, loadViewerId, randomId } from './ids.js';
import { createLifecycleController } from './lifecycle-controller.js';
import { createBrowserPageEvents, type PageEvents } from './page-events.js';
import type { Listener, PlayerLike } from './player-like.js';
import { createRebufferController } from './rebuffer-controller.js';
import { createRenditionController } from './rendition-controller.js';
import { createStartupController } from './startup-controller.js';
import { createTransport, type TransportOptions } from './transport-controller.js';

export interface MonitorOptions {
  /** Catalog id of the video being played. */
  videoId: string;
  /** Where beacons are POSTed, e.g. `https://example.com/v1/beacons` or `/v1/beacons`. */
  collectorUrl: string;
  /** Anonymous viewer id; by default one is generated and kept in localStorage. */
  viewerId?: string;
  /** Groups the views of one page; by default a new one per monitor. */
  sessionId?: string;
  metadata?: BeaconMetadata;
  /** Seams for tests and unusual hosts; browsers need none of them. */
  clock?: Clock;
  page?: PageEvents;
  frames?: FrameSource;
  storage?: KeyValueStorage;
  transport?: Omit<TransportOptions, 'url'>;
  heartbeatIntervalMs?: number;
}

export interface Monitor {
  readonly sessionId: string;
  readonly viewId: string;
  readonly viewerId: string;
  setMetadata(metadata: BeaconMetadata): void;
  /** Records play intent now (autoplay), instead of waiting for the player's first `play`. */
  playRequested(): void;
  /** Sends queued beacons now. */
  flush(): void;
  /** Ends the view (if it has not ended), sends what is queued and removes every listener. */
  destroy(): void;
}

const browserStorage = (): KeyValueStorage | undefined => {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // Accessing localStorage throws when storage is blocked.
  }
};

export function monitor(player: PlayerLike, options: MonitorOptions): Monitor {
  if (!isValidId(options.videoId))
    throw new TypeError(`streamloop: invalid videoId ${JSON.stringify(options.videoId)}`);
  const clock = options.clock ?? createBrowserClock();
  const sessionId = isValidId(options.sessionId) ? options.sessionId : randomId();
  const viewerId = isValidId(options.viewerId)
    ? options.viewerId
    : loadViewerId(options.storage ?? browserStorage());

  const transport = createTransport({ url: options.collectorUrl, ...options.transport });
  const beacons = createBeaconFactory({
    sessionId,
    viewerId,
    videoId: options.videoId,
    clock,
    playhead: () => player.currentTime(),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
  const emit: Emit = (event, fields) => transport.enqueue(beacons.make(event, fields));

  emit('viewstart');
  const rebuffer = createRebufferController({ player, clock, emit });
  const heartbeat = createHeartbeatController({
    player,
    clock,
    emit,
    ...(options.heartbeatIntervalMs ? { intervalMs: options.heartbeatIntervalMs } : {}),
  });
  const startup = createStartupController({
    player,
    clock,
    emit,
    frames: options.frames ?? createPlayerFrameSource(player),
    onFirstFrame() {
      rebuffer.firstFrame();
      heartbeat.firstFrame();
    },
  });
  const rendition = createRenditionController({ player, emit });
  const errors = createErrorController({ player, emit });
  const page = options.page ?? createBrowserPageEvents();
  const lifecycle = createLifecycleController({
    player,
    ...(page ? { page } : {}),
    onViewEnd() {
      rebuffer.close();
      emit('viewend', { watchTimeMs: heartbeat.takeWatchTime() });
    },
    flush: (unloading) => transport.flush(unloading ? 'unload' : 'normal'),
  });

  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    lifecycle.end('dispose');
    for (const controller of [startup, rebuffer, heartbeat, rendition, errors, lifecycle, transport]) {
      controller.destroy();
    }
    player.off('dispose', onDispose);
  };
  const onDispose: Listener = () => destroy();
  player.on('dispose', onDispose);

  return {
    sessionId,
    viewId: beacons.viewId,
    viewerId,
    setMetadata: (metadata) => beacons.setMetadata(metadata),
    playRequested: () => startup.requestPlay(),
    flush: () => transport.flush('normal'),
    destroy,
  };
}
