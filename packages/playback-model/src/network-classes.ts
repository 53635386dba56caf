/**
 * Named network classes and the lognormal fit behind synthetic traces. The table gives the pooled,
 * time-weighted p10/p50/p90 and the share of time under 0.1 Mbit/s; the trace generator needs a log
 * mean, a spread below and above the median (the published sets are skewed: a single lognormal
 * cannot hit all three quantiles) and the outage process' own share. The on-state lognormal also
 * puts some time under 0.1 Mbit/s, so the outage share is what is left of the table's share.
 */
import { NETWORK_CLASS_DATA, type NetworkClass } from './network-classes-data.js';
import { normalCdf, normalQuantile } from './random.js';

export type { NetworkClass } from './network-classes-data.js';
export type NetworkClassId = (typeof NETWORK_CLASS_DATA)[number]['id'];

export const NETWORK_CLASSES: readonly NetworkClass[] = NETWORK_CLASS_DATA;

export function networkClassIds(): string[] {
  return NETWORK_CLASSES.map((networkClass) => networkClass.id);
}

export function findNetworkClass(id: string): NetworkClass | undefined {
  return NETWORK_CLASSES.find((networkClass) => networkClass.id === id);
}

export interface ThroughputFit {
  /** ln(Mbit/s) median of the on-state. */
  logMedian: number;
  /** Log-spread below and above the median (a two-piece lognormal). */
  sigmaLow: number;
  sigmaHigh: number;
  /** Stationary share of time in outage. */
  outageShare: number;
}

const LOW_MBPS = 0.1;

/**
 * Fits the on-state so the pooled mixture (outage with share s, two-piece lognormal otherwise)
 * reproduces p50, p90 and the share under 0.1 Mbit/s; p10 sets the lower spread when it lies
 * above 0.1 Mbit/s, and is left to the outage mass when it lies below (3G: 21 % under 0.1).
 * A fixed-point iteration: the outage share and the on-state fit depend on each other.
 */
export function fitThroughput(networkClass: NetworkClass): ThroughputFit {
  const { p10, p50, p90 } = networkClass.throughputMbps;
  const target = networkClass.shareBelow100Kbps;
  let outageShare = target;
  let fit: ThroughputFit = { logMedian: Math.log(p50), sigmaLow: 1, sigmaHigh: 1, outageShare };
  for (let iteration = 0; iteration < 100; iteration++) {
    // Quantile p of the mixture sits at on-state quantile (p - s) / (1 - s).
    const onZ = (p: number): number => normalQuantile((p - outageShare) / (1 - outageShare));
    const z50 = onZ(0.5);
    const z90 = onZ(0.9);
    // Two-piece: above the on-state median scale by sigmaHigh, below by sigmaLow.
    const onMedianFromP50 = (sigmaLow: number, sigmaHigh: number): number =>
      Math.log(p50) - z50 * (z50 >= 0 ? sigmaHigh : sigmaLow);
    let sigmaHigh = fit.sigmaHigh;
    let sigmaLow = fit.sigmaLow;
    let logMedian = onMedianFromP50(sigmaLow, sigmaHigh);
    sigmaHigh = (Math.log(p90) - logMedian) / z90;
    // When p10 lies inside the outage mass (3G) it says nothing about the on-state: keep it symmetric.
    sigmaLow = p10 > LOW_MBPS && outageShare < 0.1 ? (Math.log(p10) - logMedian) / onZ(0.1) : sigmaHigh;
    logMedian = onMedianFromP50(sigmaLow, sigmaHigh);
    const onBelow = normalCdf((Math.log(LOW_MBPS) - logMedian) / sigmaLow);
    const nextOutage = Math.max(0, (target - onBelow) / (1 - onBelow));
    fit = { logMedian, sigmaLow, sigmaHigh, outageShare };
    if (Math.abs(nextOutage - outageShare) < 1e-9) break;
    outageShare = 0.5 * outageShare + 0.5 * nextOutage;
  }
  return fit;
}
