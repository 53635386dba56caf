import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { type BeaconRow, toDateTime64Text } from './beacons-table.js';
import { type Drop, type DropReason, drop, type Ok, ok } from './step-result.js';
import type { ReceivedBeacon } from './validate-beacon-step.js';

/**
 * Maps a valid beacon to its row. The schema leaves `clientTimeMs` unbounded; a value JavaScript
 * cannot hold exactly would be stored wrong or fail the whole batch's insert, so it is dropped here.
 */
export function beaconRowStep(
  received: ReceivedBeacon,
  message: ConsumedMessage,
): Ok<BeaconRow> | Drop<DropReason> {
  const { beacon, receivedAtMs } = received;
  if (!Number.isSafeInteger(beacon.clientTimeMs)) {
    return drop('value_out_of_range', `clientTimeMs ${beacon.clientTimeMs} is beyond 2^53`);
  }
  if (!Number.isFinite(beacon.monotonicMs)) {
    return drop('value_out_of_range', 'monotonicMs is not a finite number');
  }
  return ok({
    beacon_id: beacon.beaconId,
    event: beacon.event,
    session_id: beacon.sessionId,
    view_id: beacon.viewId,
    viewer_id: beacon.viewerId,
    video_id: beacon.videoId,
    seq: beacon.seq,
    client_time_ms: beacon.clientTimeMs,
    monotonic_ms: beacon.monotonicMs,
    playhead_ms: beacon.playheadMs ?? null,
    startup_time_ms: beacon.startupTimeMs ?? null,
    rebuffer_duration_ms: beacon.rebufferDurationMs ?? null,
    watch_time_ms: beacon.watchTimeMs ?? null,
    bitrate_kbps: beacon.bitrateKbps ?? null,
    width: beacon.width ?? null,
    height: beacon.height ?? null,
    error_code: beacon.errorCode ?? null,
    error_message: beacon.errorMessage ?? null,
    fatal: beacon.fatal ?? null,
    variant: beacon.variant ?? null,
    ladder_id: beacon.ladderId ?? null,
    sdk_version: beacon.sdkVersion ?? null,
    received_at: toDateTime64Text(receivedAtMs),
    kafka_partition: message.partition,
    kafka_offset: message.offset,
  });
}
