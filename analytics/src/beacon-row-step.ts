import type { BeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { type Drop, drop, type Ok, ok } from '@streamloop/event-log/step-result';
import {
  CMCD_COLUMNS,
  CMCD_UINT32_FIELDS,
  type CmcdField,
  CONTEXT_COLUMNS,
  DEFAULT_SOURCE,
  FIELD_COLUMNS,
  type OptionalColumn,
  type OptionalField,
  UINT32_MAX,
} from './beacon-columns.js';
import type { DropReason } from './beacon-reasons.js';
import { type BeaconRow, toDateTime64Text } from './beacons-table.js';

/**
 * Maps a valid beacon to its row (columns: beacon-columns.ts). The schema leaves `clientTimeMs` and
 * the CMCD integers unbounded; a value JavaScript or its column cannot hold exactly would be stored
 * wrong or fail the whole batch's insert, so such a beacon is dropped here.
 */
export function beaconRowStep(
  received: BeaconEnvelope,
  message: ConsumedMessage,
): Ok<BeaconRow> | Drop<DropReason> {
  const { beacon, receivedAtMs, context } = received;
  if (!Number.isSafeInteger(beacon.clientTimeMs)) {
    return drop('value_out_of_range', `clientTimeMs ${beacon.clientTimeMs} is beyond 2^53`);
  }
  if (!Number.isFinite(beacon.monotonicMs)) {
    return drop('value_out_of_range', 'monotonicMs is not a finite number');
  }
  for (const key of CMCD_UINT32_FIELDS) {
    const value = beacon.cmcd?.[key];
    if (value !== undefined && value > UINT32_MAX) {
      return drop('value_out_of_range', `cmcd.${key} ${value} is beyond 2^32 - 1`);
    }
  }

  const optional = {} as Record<OptionalColumn, string | number | boolean | null>;
  for (const [field, column] of Object.entries(FIELD_COLUMNS) as [OptionalField, OptionalColumn][]) {
    optional[column] = beacon[field] ?? null;
  }
  for (const [key, column] of Object.entries(CMCD_COLUMNS) as [CmcdField, OptionalColumn][]) {
    optional[column] = beacon.cmcd?.[key] ?? null;
  }
  for (const [key, column] of Object.entries(CONTEXT_COLUMNS) as [
    keyof typeof CONTEXT_COLUMNS,
    OptionalColumn,
  ][]) {
    optional[column] = context?.[key] ?? null;
  }
  return ok({
    ...optional,
    beacon_id: beacon.beaconId,
    event: beacon.event,
    source: beacon.source ?? DEFAULT_SOURCE,
    session_id: beacon.sessionId,
    view_id: beacon.viewId,
    viewer_id: beacon.viewerId,
    video_id: beacon.videoId,
    seq: beacon.seq,
    client_time_ms: beacon.clientTimeMs,
    monotonic_ms: beacon.monotonicMs,
    received_at: toDateTime64Text(receivedAtMs),
    kafka_partition: message.partition,
    kafka_offset: message.offset,
  });
}
