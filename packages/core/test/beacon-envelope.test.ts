/**
 * The two shapes on `qoe-beacons` and the one decoder of both: what a consumer gets from a message
 * is the same list of per-beacon envelopes whichever producer wrote it.
 */
import { describe, expect, it } from 'vitest';
import {
  BEACON_BATCH_SCHEMA,
  BeaconBatchEnvelope,
  decodeBeaconMessage,
  toBeaconBatchMessages,
  toBeaconMessage,
} from '../src/schemas/beacon-envelope.js';
import { makeBeacon } from '../src/testing.js';
import { createValidator } from '../src/validate.js';

const context = {
  clockOffsetMs: 12,
  ipPrefix: '203.0.113.0',
  browser: 'Firefox',
  deviceClass: 'desktop' as const,
};

describe('qoe-beacons messages', () => {
  it('writes one qoe.beacon-batch.v1 per session, keyed by it, beacons in the order sent', () => {
    const a0 = makeBeacon({ sessionId: 'a', seq: 0 });
    const b0 = makeBeacon({ sessionId: 'b', seq: 0 });
    const a1 = makeBeacon({ sessionId: 'a', seq: 1 });
    const messages = toBeaconBatchMessages([a0, b0, a1], 1000, context);
    expect(messages.map((m) => m.key)).toEqual(['a', 'b']);
    const first = JSON.parse(messages[0]!.value.toString('utf8'));
    expect(createValidator(BeaconBatchEnvelope)(first).ok).toBe(true);
    expect(first).toEqual({ schema: BEACON_BATCH_SCHEMA, receivedAtMs: 1000, context, beacons: [a0, a1] });
  });

  it('embeds the JSON text it is given for a single session, and decodes to the same beacons', () => {
    const beacons = [makeBeacon({ sessionId: 's', seq: 0 }), makeBeacon({ sessionId: 's', seq: 1 })];
    const text = ` ${JSON.stringify(beacons)} `;
    const [message] = toBeaconBatchMessages(beacons, 5, undefined, text);
    expect(message!.value.toString('utf8')).toContain(text);
    const decoded = decodeBeaconMessage(message!.value);
    expect(decoded).toEqual({ ok: true, envelopes: beacons.map((beacon) => ({ beacon, receivedAtMs: 5 })) });
  });

  it('decodes a one-beacon message (delivery, older collectors) to the same kind of envelope', () => {
    const beacon = makeBeacon();
    expect(decodeBeaconMessage(toBeaconMessage(beacon, 7, context).value)).toEqual({
      ok: true,
      envelopes: [{ beacon, receivedAtMs: 7, context }],
    });
  });

  it('leaves the beacons unvalidated: each is checked on its own downstream', () => {
    const value = JSON.stringify({
      schema: BEACON_BATCH_SCHEMA,
      receivedAtMs: 1,
      beacons: [{ nope: 1 }, 'x'],
    });
    expect(decodeBeaconMessage(value)).toEqual({
      ok: true,
      envelopes: [
        { beacon: { nope: 1 }, receivedAtMs: 1 },
        { beacon: 'x', receivedAtMs: 1 },
      ],
    });
  });

  it.each([
    ['not JSON', '{', 'invalid_json', /JSON/],
    ['an array', '[]', 'invalid_envelope', /not a JSON object/],
    ['no beacon', '{"receivedAtMs":1}', 'invalid_envelope', /no "beacon"/],
    [
      'an unknown schema',
      '{"schema":"qoe.beacon-batch.v9","receivedAtMs":1,"beacons":[{}]}',
      'invalid_envelope',
      /unknown envelope schema/,
    ],
    [
      'an empty batch',
      `{"schema":"${BEACON_BATCH_SCHEMA}","receivedAtMs":1,"beacons":[]}`,
      'invalid_envelope',
      /non-empty array/,
    ],
    [
      'a batch without its time',
      `{"schema":"${BEACON_BATCH_SCHEMA}","beacons":[{}]}`,
      'invalid_envelope',
      /receivedAtMs/,
    ],
    [
      'a context field of the wrong type',
      '{"beacon":{},"receivedAtMs":1,"context":{"os":7}}',
      'invalid_envelope',
      /context\.os/,
    ],
  ])('refuses %s whole, with the reason', (_what, value, reason, detail) => {
    const decoded = decodeBeaconMessage(value);
    expect(decoded).toMatchObject({ ok: false, reason });
    expect(decoded.ok ? '' : decoded.detail).toMatch(detail);
  });
});
