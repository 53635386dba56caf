/**
 * VHS' bandwidth estimate (video.js 8 http-streaming): no smoothing at all. After every main
 * segment, `bandwidth` becomes that request's bytes × 8 / round trip (request sent → last byte,
 * latency included; media-segment-request.js), and `throughput` is a cumulative moving average of
 * the decrypt/transmux/append rate (segment-loader recordThroughput_). Selection reads
 * `systemBandwidth` = 1 / (1/bandwidth + 1/throughput) (videojs-http-streaming.js), floored.
 */
export const INITIAL_BANDWIDTH = 4_194_304; // config.js INITIAL_BANDWIDTH ("0.5 MB/s")
// segment-loader MIN_SEGMENT_DURATION_TO_SAVE_STATS: shorter segments would skew the estimate.
const MIN_SEGMENT_DURATION_TO_SAVE_STATS = 1 / 60;

export interface BandwidthEstimator {
  /** Last segment's bandwidth, bit/s (`vhs.bandwidth`, CMCD `mtp`). */
  bandwidth(): number;
  /** What the playlist selector uses (`vhs.systemBandwidth`). */
  systemBandwidth(): number;
  /** Overrides the bandwidth (timeouts set 1, early aborts the candidate's BANDWIDTH × 1.2 + 1). */
  setBandwidth(bitsPerSecond: number): void;
  /** Records one finished main segment request. */
  onSegment(sample: { bytes: number; roundTripMs: number; processingMs: number; durationSec: number }): void;
}

export function createVhsBandwidthEstimator(initialBandwidth = INITIAL_BANDWIDTH): BandwidthEstimator {
  let bandwidth = initialBandwidth;
  let throughputRate = 0;
  let throughputCount = 0;
  return {
    bandwidth: () => bandwidth,
    systemBandwidth() {
      const invBandwidth = 1 / (bandwidth || 1);
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
