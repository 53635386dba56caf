/**
 * Feature-store keys that belong to one video. Writers of per-video features use these names, and
 * deleting a video removes exactly these, so a deleted video leaves nothing behind in Redis.
 */
export function videoFeatureKeys(videoId: string): string[] {
  return [`video:${videoId}:features`, `video:${videoId}:ladder`, `video:${videoId}:counters`];
}
