import { Counter, metricName, type Registry } from '@streamloop/core/metrics';

export interface IngestMetrics {
  uploadsCompleted: Counter;
  bytesReceived: Counter;
  uploadsDeduplicated: Counter;
  integrityFailures: Counter;
  uploadsExpired: Counter;
  sourcesRehashed: Counter;
}

/** Registered on the process registry it is given (never the global one). */
export function createIngestMetrics(registry: Registry): IngestMetrics {
  const counter = (noun: string, help: string) =>
    new Counter({ name: metricName('ingest', noun), help, registers: [registry] });
  return {
    uploadsCompleted: counter(
      'uploads_completed_total',
      'Uploads that finished and were recorded in the catalog with a transcode job',
    ),
    bytesReceived: counter(
      'bytes_received_total',
      'Upload bytes written to the upload store (tus PATCH and creation-with-upload bodies)',
    ),
    uploadsDeduplicated: counter(
      'uploads_deduplicated_total',
      'Finished uploads whose content (SHA-256) the same owner had already uploaded: no second video, no transcode',
    ),
    integrityFailures: counter(
      'upload_integrity_failures_total',
      'Finished uploads refused because the stored bytes did not match the declared SHA-256 or length',
    ),
    sourcesRehashed: counter(
      'sources_rehashed_total',
      'Finished sources whose SHA-256 was computed by streaming them back from storage (the in-flight hash was not complete)',
    ),
    uploadsExpired: counter(
      'uploads_expired_total',
      'Unfinished uploads removed (multipart upload aborted) after the expiration period',
    ),
  };
}
