import { randomUUID } from 'node:crypto';
import { TranscodeJob } from '@streamloop/core/schemas/job';
import { EVENT_NAMES } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';

const validateJob = createValidator(TranscodeJob);

/**
 * A transcode request checked against the shared schema: the first one for a freshly uploaded
 * source, or, naming a stored ladder, one more ladder for a ready video.
 */
export function newTranscodeJob(
  videoId: string,
  sourceKey: string,
  now = new Date(),
  ladder?: { id: string; version: number },
): TranscodeJob {
  const job = {
    event: EVENT_NAMES.transcodeJob,
    jobId: randomUUID(),
    videoId,
    sourceKey,
    attempt: 1,
    requestedAt: now.toISOString(),
    ...(ladder === undefined ? {} : { ladder }),
  };
  const checked = validateJob(job);
  if (!checked.ok) {
    throw new Error(
      `transcode job does not match the schema: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
  return checked.value;
}
