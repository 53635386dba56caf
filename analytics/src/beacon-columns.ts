/**
 * Which `beacons_v1` column holds which optional beacon field, in ONE place for both directions:
 * the consumer's row step writes through it and the sessions API reads back through it, so a field
 * cannot be stored and then forgotten on the way out. Both maps are `Record`s over the schema's own
 * keys: a field added to core/schemas/beacon.ts does not compile here until it has a column.
 */
import type { Beacon, BeaconRequiredField } from '@streamloop/core/schemas/beacon';
import type { BeaconContext } from '@streamloop/core/schemas/beacon-envelope';

/** Optional scalar fields: one nullable column each. (`source` has a default, `cmcd` is nested.) */
// Fields every beacon has map to columns of their own (beacon-row-step.ts).
export type OptionalField = Exclude<keyof Beacon, BeaconRequiredField | 'source' | 'cmcd'>;
export type CmcdField = keyof NonNullable<Beacon['cmcd']>;

export const FIELD_COLUMNS = {
  playheadMs: 'playhead_ms',
  startupTimeMs: 'startup_time_ms',
  rebufferDurationMs: 'rebuffer_duration_ms',
  watchTimeMs: 'watch_time_ms',
  bitrateKbps: 'bitrate_kbps',
  width: 'width',
  height: 'height',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  fatal: 'fatal',
  variant: 'variant',
  ladderId: 'ladder_id',
  sdkVersion: 'sdk_version',
  playerName: 'player_name',
  playerVersion: 'player_version',
  pageOrigin: 'page_origin',
  viewportWidth: 'viewport_width',
  viewportHeight: 'viewport_height',
  devicePixelRatio: 'device_pixel_ratio',
  mediaDurationMs: 'media_duration_ms',
  seekDurationMs: 'seek_duration_ms',
  seekFromMs: 'seek_from_ms',
  fromBitrateKbps: 'from_bitrate_kbps',
  fromWidth: 'from_width',
  fromHeight: 'from_height',
  switchReason: 'switch_reason',
  playTimeMs: 'play_time_ms',
  pauseTimeMs: 'pause_time_ms',
  playerWidth: 'player_width',
  playerHeight: 'player_height',
  upscaleTimeMs: 'upscale_time_ms',
  downscaleTimeMs: 'downscale_time_ms',
  droppedFrames: 'dropped_frames',
  decodedFrames: 'decoded_frames',
  requestCount: 'request_count',
  requestFailures: 'request_failures',
  bytesDownloaded: 'bytes_downloaded',
  throughputKbps: 'throughput_kbps',
  ttfbMs: 'ttfb_ms',
  completionPercent: 'completion_percent',
  droppedBeacons: 'dropped_beacons',
  synthetic: 'synthetic',
  cohort: 'cohort',
  networkClass: 'network_class',
  recommendedVideoId: 'recommended_video_id',
  recommendationReason: 'recommendation_reason',
  recommendationPosition: 'recommendation_position',
} as const satisfies Record<OptionalField, string>;

/** CTA-5004 keys, with the unit of each in its column name. */
export const CMCD_COLUMNS = {
  br: 'cmcd_br_kbps',
  bl: 'cmcd_bl_ms',
  d: 'cmcd_d_ms',
  ot: 'cmcd_ot',
  sid: 'cmcd_sid',
  cid: 'cmcd_cid',
  mtp: 'cmcd_mtp_kbps',
  su: 'cmcd_su',
  bs: 'cmcd_bs',
  tb: 'cmcd_tb_kbps',
  pr: 'cmcd_pr',
  sf: 'cmcd_sf',
  st: 'cmcd_st',
  rtp: 'cmcd_rtp_kbps',
  path: 'cmcd_path',
} as const satisfies Record<CmcdField, string>;

/** The envelope's `context` (the receiving server's view, migrations/003): dimensions of the QoE API. */
export const CONTEXT_COLUMNS = {
  browser: 'browser',
  browserVersion: 'browser_version',
  os: 'os',
  deviceClass: 'device_class',
  country: 'country',
  ipPrefix: 'ip_prefix',
  clockOffsetMs: 'clock_offset_ms',
} as const satisfies Record<keyof BeaconContext, string>;
export type ContextColumn = (typeof CONTEXT_COLUMNS)[keyof BeaconContext];

export type OptionalColumn =
  | (typeof FIELD_COLUMNS)[OptionalField]
  | (typeof CMCD_COLUMNS)[CmcdField]
  | ContextColumn;

/** CMCD integers the schema leaves unbounded, stored as UInt32: a larger value cannot be stored as sent. */
export const CMCD_UINT32_FIELDS = [
  'br',
  'bl',
  'd',
  'mtp',
  'tb',
  'rtp',
] as const satisfies readonly CmcdField[];
export const UINT32_MAX = 2 ** 32 - 1;

/** UInt64 columns: ClickHouse sends them as JSON strings (SESSION_SETTINGS), so reading turns them back. */
export const UINT64_COLUMNS: ReadonlySet<string> = new Set(['client_time_ms', 'bytes_downloaded']);

/** Beacons written before `source` existed, and SDK beacons that leave it out, are the SDK's. */
export const DEFAULT_SOURCE = 'sdk';
