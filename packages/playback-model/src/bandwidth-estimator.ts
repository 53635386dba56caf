/**
 * VHS' bandwidth estimate (video.js 8 http-streaming): no smoothing at all. After every main
 * segment, `bandwidth` becomes that request's bytes × 8 / round trip (request sent → last byte,
 * latency included; media-segment-request.js), and `throughput` is a cumulative moving average of
 * the decrypt/transmux/append rate (segment-loader recordThroughput_). Selection reads
 * `systemBandwidth` = 1 / (1/bandwidth + 1/throughput) (videojs-http-streaming.js), floored.
 *
 * With `useNetworkInformationApi` (VHS' default, which the watch page keeps) and a browser that has
 * `navigator.connection` (Chromium), the `bandwidth` VHS reads is the browser's `downlink` instead
 * of its own measurement, unless both are ≥ 10 Mbit/s (then the larger): the initial estimate, the
 * segment measurements, timeouts and early aborts all stop mattering to selection.
 */
export const INITIAL_BANDWIDTH = 4_194_304; // config.js INITIAL_BANDWIDTH ("0.5 MB/s")
// segment-loader MIN_SEGMENT_DURATION_TO_SAVE_STATS: shorter segments would skew the estimate.
const MIN_SEGMENT_DURATION_TO_SAVE_STATS = 1 / 60;

// videojs-http-streaming.js: navigator.connection.downlink tops out at 10 Mbit/s.
const DOWNLINK_CAP = 10e6;

export interface BandwidthEstimator {
  /** Bandwidth as VHS reads it, bit/s (`vhs.bandwidth`, CMCD `mtp`): the last segment's, or the downlink. */
  bandwidth(): number;
  /** What the playlist selector uses (`vhs.systemBandwidth`). */
  systemBandwidth(): number;
  /** Overrides the bandwidth (timeouts set 1, early aborts the candidate's BANDWIDTH × 1.2 + 1). */
  setBandwidth(bitsPerSecond: number): void;
  /** Records one finished main segment request. */
  onSegment(sample: { bytes: number; roundTripMs: number; processingMs: number; durationSec: number }): void;
}

/**
 * `downlinkBps`, when given, is `navigator.connection.downlink` × 1e6 now (the Network Information
 * API); absent: a browser without it, or `useNetworkInformationApi: false`.
 */
export function createVhsBandwidthEstimator(
  initialBandwidth = INITIAL_BANDWIDTH,
  downlinkBps?: () => number,
): BandwidthEstimator {
  let bandwidth = initialBandwidth;
  let throughputRate = 0;
  let throughputCount = 0;
  const readBandwidth = (): number => {
    if (downlinkBps === undefined) return bandwidth;
    const downlink = downlinkBps();
    return downlink >= DOWNLINK_CAP && bandwidth >= DOWNLINK_CAP ? Math.max(bandwidth, downlink) : downlink;
  };
  return {
    bandwidth: readBandwidth,
    systemBandwidth() {
      const invBandwidth = 1 / (readBandwidth() || 1);
      const invThroughput = throughputRate > 0 ? 1 / throughputRate : 0;
      return Math.floor(1 / (invBandwidth + invThroughput));
    },
    setBandwidth(bitsPerSecond) {
      // Set on the segment loader directly, as VHS does: the throughput average is kept.
      bandwidth = bitsPerSecond;
    },
    onSegment({ bytes, roundTripMs, processingMs, durationSec }) {
      if (durationSec < MIN_SEGMENT_DURATION_TO_SAVE_STATS) return;
      // A zero round trip gives Infinity in VHS too ("that is ok").
      bandwidth = Math.floor((bytes / roundTripMs) * 8 * 1000);
      // +1 ms: VHS' guard against dividing by zero.
      const sample = Math.floor((bytes / (processingMs + 1)) * 8 * 1000);
      throughputCount++;
      throughputRate += (sample - throughputRate) / throughputCount;
    },
  };
}

/**
 * Chromium's `navigator.connection.downlink` for a link of `bandwidthKbps`, in bit/s: the rate times
 * the browser's per-origin privacy noise (a multiplier near 1; measured here 0.85–1.1, fixed for one
 * browser run and host), rounded to 50 kbit/s, capped at 10 Mbit/s. Under DevTools network
 * emulation the rate is the emulated one; in the field it is Chromium's network-quality estimate,
 * which the model takes to be the trace's rate.
 */
export function chromiumDownlinkBps(bandwidthKbps: number, multiplier = 1): number {
  const kbps = Math.round((bandwidthKbps * multiplier) / 50) * 50;
  return Math.min(kbps * 1000, DOWNLINK_CAP);
}
