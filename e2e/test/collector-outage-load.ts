/**
 * A load generator that behaves like the player SDK's transport: each virtual client sends batches
 * of beacons as text/plain, one request at a time; a 503 (or 429, or a network failure) puts the
 * SAME batch back and waits Retry-After before sending it again. It records what the collector
 * answered 202 for, beacon by beacon, and how many times it had to retry.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';

export interface LoadReport {
  /** beaconIds the collector answered 202 for. */
  accepted: string[];
  /** Answers 503 received (each one followed by a resend of the same batch). */
  refused503: number;
  /** Beacons of batches that needed more than one attempt (an earlier one may have landed too). */
  resent: string[];
  /** Batches that needed more than one attempt and were in the end accepted. */
  retriedThenAccepted: number;
  /** Batches generated but never answered 202 (must be 0 once the generator stopped). */
  unsent: number;
  otherStatuses: number[];
}

export interface LoadGenerator {
  /** Progress so far: beacons answered 202, answers 503. */
  progress(): { accepted: number; refused503: number };
  /** Stops making new batches; resolves once every batch made so far is accepted. */
  stop(): Promise<LoadReport>;
}

export function startLoad(options: {
  url: string;
  clients: number;
  beaconsPerBatch: number;
  batchIntervalMs: number;
  beaconOf: (client: number, seq: number) => Beacon;
}): LoadGenerator {
  const report: LoadReport = {
    accepted: [],
    resent: [],
    refused503: 0,
    retriedThenAccepted: 0,
    unsent: 0,
    otherStatuses: [],
  };
  let producing = true;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function deliver(batch: Beacon[]): Promise<void> {
    const body = JSON.stringify(batch);
    for (let attempt = 0; ; attempt++) {
      let status: number | undefined;
      let retryAfterMs = 500;
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        status = response.status;
        const header = response.headers.get('retry-after');
        if (header !== null) retryAfterMs = Number(header) * 1000;
        await response.arrayBuffer();
      } catch {
        status = undefined; // network failure: retried like the SDK does
      }
      if (status === 202) {
        report.accepted.push(...batch.map((b) => b.beaconId));
        if (attempt > 0) {
          report.retriedThenAccepted++;
          report.resent.push(...batch.map((b) => b.beaconId));
        }
        return;
      }
      if (status === 503) report.refused503++;
      else if (status !== undefined && status !== 429) report.otherStatuses.push(status);
      if (status !== undefined && status < 500 && status !== 429) return; // final, like the SDK
      await sleep(retryAfterMs);
    }
  }

  const clients = Array.from({ length: options.clients }, async (_, client) => {
    for (let seq = 0; producing; ) {
      const batch = Array.from({ length: options.beaconsPerBatch }, () => options.beaconOf(client, seq++));
      await Promise.all([deliver(batch), sleep(options.batchIntervalMs)]);
    }
  });

  return {
    progress: () => ({ accepted: report.accepted.length, refused503: report.refused503 }),
    async stop() {
      producing = false;
      await Promise.all(clients);
      return report;
    },
  };
}
