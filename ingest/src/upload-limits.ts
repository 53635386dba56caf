/** Maps the UPLOAD_* variables (core config) onto ingest's route options; unset keeps each default. */
import type { UploadLimitsConfig } from '@streamloop/core/config';
import type { IngestDeps } from './mount-ingest.js';

export function uploadLimits(
  config: UploadLimitsConfig,
): Pick<IngestDeps, 'maxUploadBytes' | 'allowedTypes' | 'uploadExpirationMs'> {
  return {
    ...(config.maxUploadBytes === undefined ? {} : { maxUploadBytes: config.maxUploadBytes }),
    ...(config.allowedTypes === undefined ? {} : { allowedTypes: config.allowedTypes }),
    ...(config.uploadExpirationMs === undefined ? {} : { uploadExpirationMs: config.uploadExpirationMs }),
  };
}
