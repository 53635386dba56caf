import { Counter, Histogram, metricName, type Registry } from '@streamloop/core/metrics';

export type JobMetricOutcome = 'ready' | 'rejected' | 'skipped' | 'invalid' | 'retried' | 'gave_up';

export interface TranscodeMetrics {
  jobs: Counter<'outcome'>;
  encodeSeconds: Histogram;
}

export function createTranscodeMetrics(registry: Registry): TranscodeMetrics {
  return {
    jobs: new Counter({
      name: metricName('transcode', 'jobs_total'),
      help: 'Transcode jobs by outcome: ready, rejected (bad input), skipped (nothing to do), invalid (bad message), retried (infrastructure error, redelivered), gave_up (failed after maxAttempts)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    encodeSeconds: new Histogram({
      name: metricName('transcode', 'encode_seconds'),
      help: 'Wall time of one ffmpeg ladder encode',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
  };
}
