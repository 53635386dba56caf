/**
 * One view's timeline, pure (no DOM): its SDK beacons in the player's own clock (`monotonicMs`, so
 * client clock jumps cannot reorder them), as a row per event worth reading — startup, stalls, seeks,
 * rendition switches, pauses, errors — and the bitrate the player was on, as a step line; and the
 * origin's CMCD requests of the session in arrival order, times relative to the first beacon's arrival.
 */
import type { StoredBeacon } from '@streamloop/core/schemas/qoe-api';

export interface TimelineRow {
  /** Seconds since the view's first SDK beacon. */
  atSec: number;
  event: string;
  detail: string;
  /** 'bad' for stalls, start failures and errors: what the reader is looking for. */
  tone: '' | 'bad';
}

export interface Timeline {
  rows: TimelineRow[];
  /** The bitrate line: [seconds, kbit/s] at each beacon that states the rung, held until the next. */
  bitrate: { atSec: number[]; kbps: (number | null)[] };
  cmcd: {
    atSec: number;
    objectType: string;
    bitrateKbps: number | null;
    bufferMs: number | null;
    throughputKbps: number | null;
  }[];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function describe(beacon: StoredBeacon): { event: string; detail: string; tone: '' | 'bad' } | undefined {
  switch (beacon.event) {
    case 'viewstart':
      return { event: 'View started', detail: '', tone: '' };
    case 'playrequest':
      return { event: 'Play asked', detail: '', tone: '' };
    case 'firstframe':
      return {
        event: 'First frame',
        detail: beacon.startupTimeMs === undefined ? '' : `startup ${beacon.startupTimeMs} ms`,
        tone: '',
      };
    case 'rebufferstart':
      return { event: 'Stall', detail: 'playback stopped to buffer', tone: 'bad' };
    case 'rebufferend':
      return {
        event: 'Stall ended',
        detail: beacon.rebufferDurationMs === undefined ? '' : `stalled ${beacon.rebufferDurationMs} ms`,
        tone: 'bad',
      };
    case 'seekstart':
      return {
        event: 'Seek',
        detail: beacon.seekFromMs === undefined ? '' : `from ${seconds(beacon.seekFromMs)} s`,
        tone: '',
      };
    case 'seekend':
      return {
        event: 'Seek done',
        detail: beacon.seekDurationMs === undefined ? '' : `took ${beacon.seekDurationMs} ms`,
        tone: '',
      };
    case 'renditionchange':
      return {
        event: 'Rendition switch',
        detail: `${beacon.fromBitrateKbps ?? '?'} → ${beacon.bitrateKbps ?? '?'} kbit/s${beacon.height ? ` (${beacon.height}p)` : ''}${beacon.switchReason ? `, ${beacon.switchReason}` : ''}`,
        tone: '',
      };
    case 'pause':
      return { event: 'Paused', detail: '', tone: '' };
    case 'play':
      return { event: 'Resumed', detail: '', tone: '' };
    case 'error':
      return {
        event: beacon.fatal ? 'Fatal error' : 'Error',
        detail: [beacon.errorCode, beacon.errorMessage].filter(Boolean).join(': '),
        tone: 'bad',
      };
    case 'viewend':
      return { event: 'View ended', detail: '', tone: '' };
    default:
      return undefined;
  }
}

export function buildTimeline(beacons: readonly StoredBeacon[]): Timeline {
  const sdk = beacons
    .filter((b) => (b.source ?? 'sdk') === 'sdk')
    .sort((a, b) => a.monotonicMs - b.monotonicMs || a.seq - b.seq);
  const start = sdk[0]?.monotonicMs ?? 0;
  const rows: TimelineRow[] = [];
  const bitrate: Timeline['bitrate'] = { atSec: [], kbps: [] };
  for (const beacon of sdk) {
    const atSec = seconds(beacon.monotonicMs - start);
    const described = describe(beacon);
    if (described) rows.push({ atSec, ...described });
    if (
      beacon.bitrateKbps !== undefined &&
      (beacon.event === 'heartbeat' || beacon.event === 'renditionchange' || beacon.event === 'firstframe')
    ) {
      bitrate.atSec.push(atSec);
      bitrate.kbps.push(beacon.bitrateKbps);
    }
  }
  const arrivals = beacons.filter((b) => b.source === 'cmcd').sort((a, b) => a.receivedAtMs - b.receivedAtMs);
  const firstArrival = Math.min(...beacons.map((b) => b.receivedAtMs));
  return {
    rows,
    bitrate,
    cmcd: arrivals.map((b) => ({
      atSec: seconds(b.receivedAtMs - firstArrival),
      objectType: b.cmcd?.ot ?? '',
      bitrateKbps: b.cmcd?.br ?? null,
      bufferMs: b.cmcd?.bl ?? null,
      throughputKbps: b.cmcd?.mtp ?? null,
    })),
  };
}
