/**
 * Reading back what the player reported, the way an analyst would: the analytics API
 * (`GET /api/v1/qoe/sessions/:sessionId/beacons`), which returns what reached ClickHouse through the
 * collector and Kafka (deduplicated on beaconId), SDK and CMCD (origin-side) beacons together.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually } from '@streamloop/core/testing';

export type StoredBeacon = Beacon & { receivedAtMs: number };

export async function sessionBeacons(
  base: string,
  apiKey: string,
  sessionId: string,
): Promise<StoredBeacon[] | undefined> {
  const response = await fetch(`${base}/api/v1/qoe/sessions/${encodeURIComponent(sessionId)}/beacons`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`sessions API answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { sessionId: string; beacons: StoredBeacon[] };
  return body.beacons;
}

/** The SDK's beacons of a session, in sequence order, once `done` says they are all there. */
export function waitForBeacons(
  what: string,
  base: string,
  apiKey: string,
  sessionId: string,
  done: (sdk: StoredBeacon[], all: StoredBeacon[]) => boolean,
  timeoutMs = 30_000,
): Promise<{ sdk: StoredBeacon[]; cmcd: StoredBeacon[] }> {
  return eventually(
    what,
    async () => {
      const all = (await sessionBeacons(base, apiKey, sessionId)) ?? [];
      const sdk = all.filter((b) => b.source !== 'cmcd').sort((a, b) => a.seq - b.seq);
      return done(sdk, all) ? { sdk, cmcd: all.filter((b) => b.source === 'cmcd') } : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export const eventsOf = (beacons: Beacon[], event: Beacon['event']): Beacon[] =>
  beacons.filter((b) => b.event === event);

export const sum = (values: (number | undefined)[]): number =>
  values.reduce<number>((a, v) => a + (v ?? 0), 0);

/** seq 0..n-1, each once: nothing lost, nothing doubled. */
export function seqGaps(beacons: Beacon[]): { missing: number[]; duplicated: number[] } {
  const seqs = beacons.map((b) => b.seq).sort((a, b) => a - b);
  const last = seqs.at(-1) ?? -1;
  const seen = new Set<number>();
  const duplicated: number[] = [];
  for (const seq of seqs) {
    if (seen.has(seq)) duplicated.push(seq);
    seen.add(seq);
  }
  const missing = Array.from({ length: last + 1 }, (_, i) => i).filter((i) => !seen.has(i));
  return { missing, duplicated };
}

/**
 * The CMCD (CTA-5004 v1) of a request URL's `CMCD` query parameter, read independently of the
 * library the SDK encodes with: a comma-separated list of `key`, `key=token`, `key=number` and
 * `key="string"` members.
 */
export function cmcdOfUrl(url: string): Record<string, string | number | boolean> | undefined {
  const param = new URL(url).searchParams.get('CMCD');
  if (param === null) return undefined;
  const data: Record<string, string | number | boolean> = {};
  for (const member of param.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const eq = member.indexOf('=');
    if (eq === -1) {
      data[member.trim()] = true;
      continue;
    }
    const key = member.slice(0, eq).trim();
    const raw = member.slice(eq + 1).trim();
    data[key] = raw.startsWith('"') ? JSON.parse(raw) : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return data;
}
