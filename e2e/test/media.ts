import { generateTestPatternClip } from '@streamloop/stack/test-pattern-clip';

/**
 * A generated test clip (nothing downloaded): moving test pattern plus a tone. A high bitrate makes
 * the 20 s clip big enough (> 15 MB) to upload in three chunks of ≥ 5 MiB, S3's minimum part size.
 */
export function generateClip(
  file: string,
  {
    seconds,
    width,
    height,
    bitrate = '6M',
    toneHz,
  }: { seconds: number; width: number; height: number; bitrate?: string; toneHz?: number },
): Promise<void> {
  return generateTestPatternClip(file, {
    seconds,
    width,
    height,
    ...(toneHz === undefined ? {} : { toneHz }),
    video: { preset: 'ultrafast', bitrate },
  });
}
