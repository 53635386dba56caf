/**
 * The player SDK's player interface, derived from `monitor()`'s signature: the package exports
 * `./monitor` only, and deriving keeps these types the SDK's own (a field renamed there fails here).
 */
import type { monitor } from '@streamloop/player-sdk/monitor';

export type PlayerLike = Parameters<typeof monitor>[0];
export type MonitorOptions = Parameters<typeof monitor>[1];
export type Listener = Parameters<PlayerLike['on']>[1];
export type QualityLevelListLike = ReturnType<NonNullable<PlayerLike['qualityLevels']>>;
export type QualityLevelLike = NonNullable<QualityLevelListLike[number]>;
export type TechLike = NonNullable<ReturnType<NonNullable<PlayerLike['tech']>>>;
export type VhsLike = NonNullable<TechLike['vhs']>;
type VhsXhr = NonNullable<VhsLike['xhr']>;
export type VhsRequestHook = Parameters<NonNullable<VhsXhr['onRequest']>>[0];
export type VhsRequestOptions = Parameters<VhsRequestHook>[0];
type VhsMain = NonNullable<NonNullable<VhsLike['playlists']>['main']>;
export type VhsPlaylistLike = NonNullable<VhsMain['playlists']>[number];
/** DOM types as the SDK names them (the simulator compiles without the DOM library). */
export type ElementLike = ReturnType<TechLike['el']>;
export type TimeRangesLike = NonNullable<ReturnType<NonNullable<PlayerLike['buffered']>>>;
export type XhrLike = Parameters<NonNullable<VhsRequestOptions['beforeSend']>>[0];
