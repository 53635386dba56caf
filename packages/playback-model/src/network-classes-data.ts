/**
 * Network classes as data (issue 11's table), kept apart from the code that uses them so they can
 * be refitted later to streamloop's own CMCD `mtp` measurements. Throughput in Mbit/s, time-weighted.
 * The last three fields are modelling choices the table does not pin down: how the log-variance
 * splits between sessions and within one, how long an outage lasts, and the rate during one.
 */
export const NETWORK_CLASS_DATA = [
  {
    id: '3g',
    label: '3G (HSDPA, incl. tunnels)',
    throughputMbps: { p10: 0.01, p50: 0.81, p90: 2.33 },
    lag1Autocorrelation: 0.83,
    stepSec: 1,
    shareBelow100Kbps: 0.21,
    latencyMs: 100,
    withinSessionVarianceShare: 0.5,
    meanOutageSec: 5,
    outageMbps: 0.01,
  },
  {
    id: 'lte',
    label: '4G/LTE',
    throughputMbps: { p10: 9.2, p50: 28.8, p90: 54.0 },
    lag1Autocorrelation: 0.67,
    stepSec: 1,
    shareBelow100Kbps: 0.014,
    latencyMs: 20,
    withinSessionVarianceShare: 0.5,
    meanOutageSec: 2,
    outageMbps: 0.01,
  },
  {
    id: 'fixed-fcc-2016',
    label: 'fixed broadband (FCC 2016)',
    throughputMbps: { p10: 0.55, p50: 1.29, p90: 3.67 },
    lag1Autocorrelation: 0.33,
    stepSec: 1.4,
    shareBelow100Kbps: 0.005,
    latencyMs: 20,
    withinSessionVarianceShare: 0.5,
    meanOutageSec: 2.8,
    outageMbps: 0.01,
  },
  {
    id: 'wifi-oboe',
    label: 'Wi-Fi/home (Oboe)',
    throughputMbps: { p10: 0.87, p50: 2.74, p90: 4.75 },
    lag1Autocorrelation: 0.68,
    stepSec: 3.5,
    shareBelow100Kbps: 0,
    latencyMs: 20,
    withinSessionVarianceShare: 0.5,
    meanOutageSec: 7,
    outageMbps: 0.01,
  },
  {
    id: 'puffer-2022',
    label: 'streaming viewers (Puffer 2022)',
    throughputMbps: { p10: 0.22, p50: 1.25, p90: 3.81 },
    lag1Autocorrelation: 0.29,
    stepSec: 2,
    shareBelow100Kbps: 0.065,
    latencyMs: 40,
    withinSessionVarianceShare: 0.5,
    meanOutageSec: 4,
    outageMbps: 0.01,
  },
] as const satisfies readonly NetworkClass[];

export interface NetworkClass {
  id: string;
  label: string;
  throughputMbps: { p10: number; p50: number; p90: number };
  lag1Autocorrelation: number;
  stepSec: number;
  shareBelow100Kbps: number;
  latencyMs: number;
  withinSessionVarianceShare: number;
  meanOutageSec: number;
  outageMbps: number;
}
