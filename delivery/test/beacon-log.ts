/**
 * The real embedded event log with the `qoe-beacons` topic, and a consumer that keeps every envelope
 * produced to it, for tests that check what the origin emitted.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconEnvelope } from '@streamloop/core/schemas/beacon-envelope';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog, Subscription } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { encodeCmcd, toCmcdHeaders, toCmcdQuery } from '@svta/cml-cmcd';

export interface Received extends BeaconEnvelope {
  /** The message key: the session id. */
  key: string;
}

export interface BeaconLog {
  eventLog: EventLog;
  received: Received[];
  /** The beacons of one session, once at least `count` arrived. */
  waitFor(sessionId: string, count: number): Promise<Beacon[]>;
  close(): Promise<void>;
}

export async function openBeaconLog(): Promise<BeaconLog> {
  const eventLog = createMemoryEventLog();
  await eventLog.ensureTopics([TOPICS.qoeBeacons]);
  const received: Received[] = [];
  const subscription: Subscription = await eventLog.subscribe({
    groupId: uniqueName('cmcd-test'),
    topics: [TOPICS.qoeBeacons.name],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const message of batch.messages) {
        received.push({
          key: message.key,
          ...(JSON.parse(message.value.toString('utf8')) as BeaconEnvelope),
        });
      }
    },
  });
  const ofSession = (sessionId: string) =>
    received.filter((r) => r.beacon.sessionId === sessionId).map((r) => r.beacon);
  return {
    eventLog,
    received,
    waitFor: (sessionId, count) =>
      eventually(`${count} beacon(s) of session ${sessionId}`, () => {
        const beacons = ofSession(sessionId);
        return beacons.length >= count ? beacons : undefined;
      }),
    async close() {
      await subscription.stop();
      await eventLog.close();
    },
  };
}

/** What a player sends: every key the beacon keeps, plus some it does not (`nor`, `v`, a custom key). */
export function playerCmcd(sid: string, overrides: Record<string, unknown> = {}) {
  return {
    br: 3200,
    bl: 21300,
    d: 4004,
    ot: 'v',
    sid,
    cid: 'clip-42',
    mtp: 25400,
    su: true,
    bs: true,
    tb: 6000,
    pr: 1.25,
    sf: 'h',
    st: 'v',
    rtp: 15000,
    nor: '../seg_00002.m4s',
    'com.example-hello': 'world',
    ...overrides,
  };
}

/** The keys of `playerCmcd` a beacon keeps, as decoded. */
export function beaconCmcd(sid: string) {
  const { nor: _nor, 'com.example-hello': _custom, ...kept } = playerCmcd(sid);
  return kept;
}

/** `CMCD=...` as @svta/cml-cmcd writes it for a URL (query mode). */
export const cmcdQuery = (data: Record<string, unknown>) => toCmcdQuery(data as never);
/** CMCD-Request/-Object/-Status/-Session (header mode). */
export const cmcdHeaders = (data: Record<string, unknown>) =>
  toCmcdHeaders(data as never) as unknown as Record<string, string>;
/** The raw dictionary, for hand-made payloads. */
export const cmcdString = (data: Record<string, unknown>) => encodeCmcd(data as never);
