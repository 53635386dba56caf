/**
 * Synthetic traces for a network class. Per session: a session level (lognormal across sessions),
 * a log-AR(1) wander around it with the class' lag-1 autocorrelation at the class' step, and a
 * two-state on/outage Markov chain whose stationary share is the fitted outage share. Everything
 * comes from one seeded stream, so the same seed gives the same trace, byte for byte.
 */
import { memoizeByObject } from './memo.js';
import { fitThroughput, type NetworkClass } from './network-classes.js';
import { createRandom } from './random.js';
import type { NetworkTrace, TracePiece } from './trace.js';

export interface SyntheticTraceOptions {
  seed: number | string;
  /** How much trace to generate; sessions that outlive it loop (see trace-clock). */
  durationSec: number;
}

const fitOf = memoizeByObject(fitThroughput);

export function generateSyntheticTrace(
  networkClass: NetworkClass,
  options: SyntheticTraceOptions,
): NetworkTrace {
  const fit = fitOf(networkClass);
  const random = createRandom(options.seed);
  const phi = networkClass.lag1Autocorrelation;
  const innovation = Math.sqrt(1 - phi * phi);
  const within = Math.sqrt(networkClass.withinSessionVarianceShare);
  const between = Math.sqrt(1 - networkClass.withinSessionVarianceShare);
  const stepMs = networkClass.stepSec * 1000;
  const steps = Math.max(1, Math.ceil((options.durationSec * 1000) / stepMs));
  // Leaving an outage: once per mean outage duration; entering one: whatever keeps the share.
  const share = fit.outageShare;
  const pRecover = Math.min(1, networkClass.stepSec / networkClass.meanOutageSec);
  const pFail = share > 0 ? Math.min(1, (pRecover * share) / (1 - share)) : 0;
  const outageKbps = networkClass.outageMbps * 1000;

  const sessionLevel = between * random.normal();
  let wander = random.normal();
  let inOutage = random.next() < share;
  const pieces: TracePiece[] = new Array(steps);
  for (let i = 0; i < steps; i++) {
    if (i > 0) {
      wander = phi * wander + innovation * random.normal();
      inOutage = inOutage ? random.next() >= pRecover : random.next() < pFail;
    }
    const z = sessionLevel + within * wander;
    const mbps = Math.exp(fit.logMedian + z * (z < 0 ? fit.sigmaLow : fit.sigmaHigh));
    // Whole bit/s keep the JSON of a trace short and stable.
    const bandwidthKbps = inOutage ? outageKbps : Math.max(1, Math.round(mbps * 1e6)) / 1000;
    pieces[i] = { durationMs: stepMs, bandwidthKbps, latencyMs: networkClass.latencyMs };
  }
  return { pieces };
}
