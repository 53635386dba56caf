import { describe, expect, it } from 'vitest';
import { fitThroughput, NETWORK_CLASSES } from '../src/network-classes.js';
import { generateSyntheticTrace } from '../src/synthetic-trace.js';

const SESSIONS = 400;
const SESSION_SEC = 600;

/** Pooled, time-weighted statistics of many sessions of one class, as the table was computed. */
function classStatistics(classIndex: number) {
  const networkClass = NETWORK_CLASSES[classIndex];
  if (!networkClass) throw new Error('no class');
  const samples: { mbps: number; ms: number }[] = [];
  let autocorrelationSum = 0;
  let autocorrelationSessions = 0;
  for (let s = 0; s < SESSIONS; s++) {
    const trace = generateSyntheticTrace(networkClass, {
      seed: `${networkClass.id}-${s}`,
      durationSec: SESSION_SEC,
    });
    // Outage pieces (at the class' outage rate) are left out of the autocorrelation: the AR(1)
    // describes the on-state, the Markov chain the outages.
    const outageKbps = networkClass.outageMbps * 1000;
    const logs: (number | undefined)[] = [];
    for (const piece of trace.pieces) {
      samples.push({ mbps: piece.bandwidthKbps / 1000, ms: piece.durationMs });
      logs.push(piece.bandwidthKbps > outageKbps ? Math.log(piece.bandwidthKbps) : undefined);
    }
    // Within-session lag-1 autocorrelation of log throughput at the class' step.
    const on = logs.filter((x): x is number => x !== undefined);
    const mean = on.reduce((sum, x) => sum + x, 0) / on.length;
    let numerator = 0;
    let denominator = 0;
    for (let i = 0; i < logs.length; i++) {
      const x = logs[i];
      if (x === undefined) continue;
      denominator += (x - mean) ** 2;
      const previous = logs[i - 1];
      if (previous !== undefined) numerator += (x - mean) * (previous - mean);
    }
    if (denominator > 0) {
      autocorrelationSum += numerator / denominator;
      autocorrelationSessions++;
    }
  }
  samples.sort((a, b) => a.mbps - b.mbps);
  const totalMs = samples.reduce((sum, sample) => sum + sample.ms, 0);
  const quantile = (p: number): number => {
    let acc = 0;
    for (const sample of samples) {
      acc += sample.ms;
      if (acc >= p * totalMs) return sample.mbps;
    }
    return samples[samples.length - 1]?.mbps ?? 0;
  };
  const belowMs = samples.filter((sample) => sample.mbps < 0.1).reduce((sum, sample) => sum + sample.ms, 0);
  return {
    networkClass,
    p10: quantile(0.1),
    p50: quantile(0.5),
    p90: quantile(0.9),
    shareBelow100Kbps: belowMs / totalMs,
    lag1: autocorrelationSum / autocorrelationSessions,
  };
}

describe('synthetic traces', () => {
  it('gives the same trace for the same seed, byte for byte, and another for another seed', () => {
    const networkClass = NETWORK_CLASSES[0];
    if (!networkClass) throw new Error('no class');
    const a = JSON.stringify(generateSyntheticTrace(networkClass, { seed: 42, durationSec: 600 }));
    const b = JSON.stringify(generateSyntheticTrace(networkClass, { seed: 42, durationSec: 600 }));
    const c = JSON.stringify(generateSyntheticTrace(networkClass, { seed: 43, durationSec: 600 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('fits every class table row to a finite model', () => {
    for (const networkClass of NETWORK_CLASSES) {
      const fit = fitThroughput(networkClass);
      expect(Number.isFinite(fit.logMedian) && fit.sigmaLow > 0 && fit.sigmaHigh > 0, networkClass.id).toBe(
        true,
      );
      expect(fit.outageShare).toBeLessThanOrEqual(networkClass.shareBelow100Kbps + 1e-9);
    }
  });

  // Tolerances: pooled p10 (when above 0.1 Mbit/s), p50 and p90 ±15 %, share under 0.1 Mbit/s
  // ±3 points, within-session lag-1 autocorrelation of on-state log throughput ±0.1.
  it.each(NETWORK_CLASSES.map((networkClass, index) => [networkClass.id, index] as const))(
    `%s: ${SESSIONS} sessions of 10 minutes reproduce the table`,
    (_id, index) => {
      const stats = classStatistics(index);
      const table = stats.networkClass;
      expect(stats.p50).toBeGreaterThan(table.throughputMbps.p50 * 0.85);
      expect(stats.p50).toBeLessThan(table.throughputMbps.p50 * 1.15);
      expect(stats.p90).toBeGreaterThan(table.throughputMbps.p90 * 0.85);
      expect(stats.p90).toBeLessThan(table.throughputMbps.p90 * 1.15);
      expect(Math.abs(stats.shareBelow100Kbps - table.shareBelow100Kbps)).toBeLessThan(0.03);
      expect(Math.abs(stats.lag1 - table.lag1Autocorrelation)).toBeLessThan(0.1);
      // p10 above the outage floor is fitted too; below it (3G) it is inside the outage mass.
      if (table.throughputMbps.p10 > 0.1) {
        expect(stats.p10).toBeGreaterThan(table.throughputMbps.p10 * 0.85);
        expect(stats.p10).toBeLessThan(table.throughputMbps.p10 * 1.15);
      } else {
        expect(stats.p10).toBeLessThan(0.1);
      }
    },
  );
});
