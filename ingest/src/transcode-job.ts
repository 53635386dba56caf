import { randomUUID } from 'node:crypto';
import { TranscodeJob } from '@streamloop/core/schemas/job';
import { EVENT_NAMES } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';

const validateJob = createValidator(TranscodeJob);

/** The first transcode request for a freshly uploaded source, checked against the shared schema. */
export function newTranscodeJob(videoId: string, sourceKey: string, now = new Date()): TranscodeJob {
  const job = {
    event: EVENT_NAMES.transcodeJob,
    jobId: randomUUID(),
    videoId,
    sourceKey,
    attempt: 1,
    requestedAt: now.toISOString(),
  };
  const checked = validateJob(job);
  if (!checked.ok) {
    throw new Error(
      `transcode job does not match the schema: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
  return checked.value;
}
