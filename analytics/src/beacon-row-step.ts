import type { BeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { type Drop, drop, type Ok, ok } from '@streamloop/event-log/step-result';
import {
  CMCD_COLUMNS,
  CMCD_UINT32_FIELDS,
  CONTEXT_COLUMNS,
  DEFAULT_SOURCE,
  FIELD_COLUMNS,
  type OptionalColumn,
  UINT32_MAX,
} from './beacon-columns.js';
import type { DropReason } from './beacon-reasons.js';
import { type BeaconRow, type CompactBeaconRow, toDateTime64Text } from './beacons-table.js';

// Lookups by the keys a beacon actually carries (a validated beacon has no other keys): walking the
// few present fields, not all ~70 columns, is most of the consumer's per-beacon speed.
const FIELD_COLUMN = new Map<string, OptionalColumn>(Object.entries(FIELD_COLUMNS));
const CMCD_COLUMN = new Map<string, OptionalColumn>(Object.entries(CMCD_COLUMNS));
const CONTEXT_COLUMN = new Map<string, OptionalColumn>(Object.entries(CONTEXT_COLUMNS));
/** Every optional column NULL: what `beaconRowStep` pads a compact row with. */
const NO_OPTIONAL_VALUES = Object.fromEntries(
  [...FIELD_COLUMN.values(), ...CMCD_COLUMN.values(), ...CONTEXT_COLUMN.values()].map((c) => [c, null]),
) as Record<OptionalColumn, null>;

/**
 * Maps a valid beacon to its row (columns: beacon-columns.ts) with every optional column present,
 * NULL where the beacon has no value: the row as a reader sees it. The consumer writes the compact
 * form (`compactBeaconRowStep`), which the table stores identically.
 */
export function beaconRowStep(
  received: BeaconEnvelope,
  message: ConsumedMessage,
): Ok<BeaconRow> | Drop<DropReason> {
  const result = compactBeaconRowStep(received, message);
  return result.kind === 'ok' ? ok({ ...NO_OPTIONAL_VALUES, ...result.value }) : result;
}

/**
 * Maps a valid beacon to its row holding only the optional columns the beacon has (an absent one is
 * NULL in the table). The schema leaves `clientTimeMs` and the CMCD integers unbounded; a value
 * JavaScript or its column cannot hold exactly would be stored wrong or fail the whole batch's
 * insert, so such a beacon is dropped here.
 */
export function compactBeaconRowStep(
  received: BeaconEnvelope,
  message: ConsumedMessage,
): Ok<CompactBeaconRow> | Drop<DropReason> {
  const { beacon, receivedAtMs, context } = received;
  if (!Number.isSafeInteger(beacon.clientTimeMs)) {
    return drop('value_out_of_range', `clientTimeMs ${beacon.clientTimeMs} is beyond 2^53`);
  }
  if (!Number.isFinite(beacon.monotonicMs)) {
    return drop('value_out_of_range', 'monotonicMs is not a finite number');
  }
  const { cmcd } = beacon;
  if (cmcd !== undefined) {
    for (const key of CMCD_UINT32_FIELDS) {
      const value = cmcd[key];
      if (value !== undefined && value > UINT32_MAX) {
        return drop('value_out_of_range', `cmcd.${key} ${value} is beyond 2^32 - 1`);
      }
    }
  }

  const row: CompactBeaconRow = {
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
    received_at: receivedAtText(receivedAtMs),
    kafka_partition: message.partition,
    kafka_offset: message.offset,
  };
  copyPresent(beacon, FIELD_COLUMN, row);
  if (cmcd !== undefined) copyPresent(cmcd, CMCD_COLUMN, row);
  if (context !== undefined) copyPresent(context, CONTEXT_COLUMN, row);
  return ok(row);
}

// The beacons of one request share their receive time: format it once, not once per beacon.
let lastReceivedAt = { ms: Number.NaN, text: '' };
function receivedAtText(ms: number): string {
  if (ms !== lastReceivedAt.ms) lastReceivedAt = { ms, text: toDateTime64Text(ms) };
  return lastReceivedAt.text;
}

function copyPresent(
  source: object,
  columns: ReadonlyMap<string, OptionalColumn>,
  row: CompactBeaconRow,
): void {
  // for…in, not Object.entries: no pair array per beacon (it showed as the consumer's top GC source).
  const fields = source as Record<string, unknown>;
  for (const key in fields) {
    const column = columns.get(key);
    const value = fields[key];
    if (column !== undefined && value !== undefined) row[column] = value as string | number | boolean;
  }
}
