/**
 * The public API of @streamloop/player-sdk (ESM). The script-tag bundle exposes the same functions
 * on the `StreamloopPlayer` global (see browser-global.ts).
 */
export type { BeaconMetadata } from './beacon-factory.js';
export type { CmcdMode } from './cmcd.js';
export { type CreatePlayerOptions, createPlayer, type StreamloopPlayer } from './create-player.js';
export { type Monitor, type MonitorOptions, monitor, type RecommendationItem } from './monitor.js';
export type { PlayerLike } from './player-like.js';
export type { PlaybackStats, PlaybackStatsState } from './stats.js';
export type { TransportStats } from './transport-controller.js';
export { SDK_VERSION } from './version.js';
