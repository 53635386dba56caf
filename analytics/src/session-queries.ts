/**
 * One viewing session's stored beacons, the SDK's and the origin's CMCD ones together (they join on
 * the session id: CMCD `sid` is the SDK's session id), read back into the `qoe.beacon.v1` shape they
 * arrived in. For debugging a session and for tests that check what a real player sent end to end.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconContext } from '@streamloop/core/schemas/beacon-envelope';
import type { StoredBeacon, SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import {
  CMCD_COLUMNS,
  type CmcdField,
  CONTEXT_COLUMNS,
  FIELD_COLUMNS,
  type OptionalColumn,
  type OptionalField,
  UINT64_COLUMNS,
} from './beacon-columns.js';
import { type AnalyticsTarget, BEACONS_TABLE } from './beacons-table.js';

export interface SessionBeaconsParams {
  sessionId: string;
  /** At most this many beacons; `truncated` says there were more. */
  limit: number;
  /** Which beacons: a real viewer's (the default of the route), a simulated one's, or both. */
  synthetic: SyntheticScope;
}

export interface SessionBeacons {
  /** By source ('cmcd' before 'sdk'), view, sequence number, arrival. */
  beacons: StoredBeacon[];
  truncated: boolean;
  /** When none are in scope: how many beacons of the session the scope left out. */
  outsideScope: number;
}

/** Per beacon, on beacons_v1's Nullable(Bool) column (NULL: a real viewer's, stored before 006 or not). */
export const BEACON_SCOPE_CONDITIONS: Record<SyntheticScope, string> = {
  real: 'AND NOT ifNull(synthetic, false)',
  synthetic: 'AND ifNull(synthetic, false)',
  all: '',
};

type Scalar = string | number | boolean | null;

interface SessionRow extends Record<OptionalColumn, Scalar> {
  beacon_id: string;
  event: Beacon['event'];
  source: 'sdk' | 'cmcd';
  session_id: string;
  view_id: string;
  viewer_id: string;
  video_id: string;
  seq: number;
  /** UInt64: a JSON string. */
  client_time_ms: string;
  monotonic_ms: number;
  /** Int64: a JSON string. */
  received_at_ms: string;
}

const OPTIONAL_COLUMNS = [
  ...Object.values(FIELD_COLUMNS),
  ...Object.values(CMCD_COLUMNS),
  ...Object.values(CONTEXT_COLUMNS),
];
const COLUMNS = [
  'beacon_id',
  'event',
  'source',
  'session_id',
  'view_id',
  'viewer_id',
  'video_id',
  'seq',
  'client_time_ms',
  'monotonic_ms',
  ...OPTIONAL_COLUMNS,
].join(', ');

export async function getSessionBeacons(
  target: AnalyticsTarget,
  params: SessionBeaconsParams,
): Promise<SessionBeacons> {
  // A beacon stored twice keeps its first arrival; one more row than asked for tells truncation.
  const result = await target.client.query({
    query: `
      SELECT ${COLUMNS}, toUnixTimestamp64Milli(received_at) AS received_at_ms
      FROM (
        SELECT ${COLUMNS}, received_at
        FROM ${target.database}.${BEACONS_TABLE}
        WHERE session_id = {sessionId:String} ${BEACON_SCOPE_CONDITIONS[params.synthetic]}
        ORDER BY beacon_id, received_at, kafka_partition, kafka_offset
        LIMIT 1 BY beacon_id
      )
      ORDER BY source, view_id, seq, received_at, beacon_id
      LIMIT {limitPlusOne:UInt32}`,
    query_params: { sessionId: params.sessionId, limitPlusOne: params.limit + 1 },
    format: 'JSONEachRow',
  });
  const rows = await result.json<SessionRow>();
  return {
    beacons: rows.slice(0, params.limit).map(toStoredBeacon),
    truncated: rows.length > params.limit,
    outsideScope:
      rows.length === 0 && params.synthetic !== 'all' ? await countSessionBeacons(target, params) : 0,
  };
}

/** Distinct beacons of the session in any scope (only asked when the scope found none). */
async function countSessionBeacons(target: AnalyticsTarget, params: SessionBeaconsParams): Promise<number> {
  const result = await target.client.query({
    query: `SELECT uniqExact(beacon_id) AS n FROM ${target.database}.${BEACONS_TABLE} WHERE session_id = {sessionId:String}`,
    query_params: { sessionId: params.sessionId },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

function toStoredBeacon(row: SessionRow): StoredBeacon {
  const beacon: Record<string, unknown> = {
    schema: 'qoe.beacon.v1',
    beaconId: row.beacon_id,
    event: row.event,
    source: row.source,
    sessionId: row.session_id,
    viewId: row.view_id,
    viewerId: row.viewer_id,
    videoId: row.video_id,
    seq: row.seq,
    clientTimeMs: Number(row.client_time_ms),
    monotonicMs: row.monotonic_ms,
  };
  for (const [field, column] of Object.entries(FIELD_COLUMNS) as [OptionalField, OptionalColumn][]) {
    const value = columnValue(row, column);
    if (value !== null) beacon[field] = value;
  }
  const cmcd: Record<string, Scalar> = {};
  for (const [key, column] of Object.entries(CMCD_COLUMNS) as [CmcdField, OptionalColumn][]) {
    const value = columnValue(row, column);
    if (value !== null) cmcd[key] = value;
  }
  if (Object.keys(cmcd).length > 0) beacon.cmcd = cmcd;
  const context: Record<string, Scalar> = {};
  for (const [key, column] of Object.entries(CONTEXT_COLUMNS) as [keyof BeaconContext, OptionalColumn][]) {
    const value = columnValue(row, column);
    // Int64 arrives as a JSON string like the UInt64 columns.
    if (value !== null) context[key] = key === 'clockOffsetMs' ? Number(value) : value;
  }
  const stored: StoredBeacon = { ...(beacon as Beacon), receivedAtMs: Number(row.received_at_ms) };
  if (Object.keys(context).length > 0) stored.context = context as BeaconContext;
  return stored;
}

function columnValue(row: SessionRow, column: OptionalColumn): Scalar {
  const value = row[column] ?? null;
  return value !== null && UINT64_COLUMNS.has(column) ? Number(value) : value;
}
