import { Counter, metricName, type Registry } from '@streamloop/core/metrics';

export interface IngestMetrics {
  uploadsCompleted: Counter;
  bytesReceived: Counter;
}

/** Registered on the process registry it is given (never the global one). */
export function createIngestMetrics(registry: Registry): IngestMetrics {
  return {
    uploadsCompleted: new Counter({
      name: metricName('ingest', 'uploads_completed_total'),
      help: 'Uploads that finished and were recorded in the catalog with a transcode job',
      registers: [registry],
    }),
    bytesReceived: new Counter({
      name: metricName('ingest', 'bytes_received_total'),
      help: 'Upload bytes written to the upload store (tus PATCH and creation-with-upload bodies)',
      registers: [registry],
    }),
  };
}
