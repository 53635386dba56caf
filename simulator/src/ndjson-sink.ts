/** `--out file`: beacons as one JSON object a line instead of the collector (same sink interface). */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconSink, CollectorCounts } from './collector-client.js';

export function createNdjsonSink(file: string): BeaconSink {
  const stream = createWriteStream(file, { encoding: 'utf8' });
  const counts: CollectorCounts = { accepted: 0, refused: 0, failures: {}, requests: 0, inFlight: 0 };
  let failure: string | undefined;
  stream.on('error', (error) => {
    failure = `${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? error.message})`;
  });
  return {
    async write(beacons: readonly Beacon[]) {
      if (failure) throw new Error(failure);
      let text = '';
      for (const beacon of beacons) text += `${JSON.stringify(beacon)}\n`;
      counts.accepted += beacons.length;
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async close() {
      if (failure) return;
      stream.end();
      await once(stream, 'finish').catch(() => undefined);
    },
    counts: () => ({ ...counts }),
    stopReason: () => failure,
  };
}
