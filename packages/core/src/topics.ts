/**
 * Topic names and the event names (with their version) carried on them. Partitions are keyed by
 * video id for jobs and lifecycle events, by session id for beacons (DESIGN.md, Scale), by viewer id for experiment exposures, by experiment id for experiment events.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** What the message key is, so producers and consumers agree. */
  key: 'videoId' | 'sessionId' | 'viewerId' | 'experimentId';
}

export const TOPICS = {
  transcodeJobs: { name: 'transcode-jobs', partitions: 6, key: 'videoId' },
  videoEvents: { name: 'video-events', partitions: 6, key: 'videoId' },
  qoeBeacons: { name: 'qoe-beacons', partitions: 12, key: 'sessionId' },
  experimentExposures: { name: 'experiment-exposures', partitions: 6, key: 'viewerId' },
  experimentEvents: { name: 'experiment-events', partitions: 3, key: 'experimentId' },
  deadLetter: { name: 'streamloop-dead-letter', partitions: 3, key: 'videoId' },
} as const satisfies Record<string, TopicSpec>;

export const ALL_TOPICS: TopicSpec[] = Object.values(TOPICS);

export const EVENT_NAMES = {
  transcodeJob: 'transcode.job.v1',
  qoeBeacon: 'qoe.beacon.v1',
  videoUploaded: 'video.uploaded.v1',
  videoReady: 'video.ready.v1',
  videoFailed: 'video.failed.v1',
  videoDeleted: 'video.deleted.v1',
  experimentExposure: 'experiment.exposure.v1',
  experimentArmStopped: 'experiment.arm_stopped.v1',
} as const;
