import { describe, expect, it } from 'vitest';
import { createBbaPolicy } from '../src/abr-bba.js';
import { NETWORK_CLASSES } from '../src/network-classes.js';
import { simulateSession } from '../src/player-model.js';
import { createRandom } from '../src/random.js';
import { generateSyntheticTrace } from '../src/synthetic-trace.js';
import { makeLadder } from './ladder-builder.js';

const VIEWPORTS = [
  { width: 640, height: 360 },
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
  { width: 390, height: 844 },
];

describe('player model invariants over many random sessions', () => {
  it('keeps its books straight: time adds up, events are in order, nothing exceeds the title', () => {
    const random = createRandom('invariants');
    const ladder = makeLadder({ segmentCount: 45 });
    for (let s = 0; s < 600; s++) {
      const networkClass = NETWORK_CLASSES[s % NETWORK_CLASSES.length];
      if (!networkClass) throw new Error('no class');
      const outcome = simulateSession({
        ladder,
        trace: generateSyntheticTrace(networkClass, { seed: s, durationSec: 120 }),
        viewport: VIEWPORTS[random.int(VIEWPORTS.length)] ?? { width: 640, height: 360 },
        startPositionSec: random.next() < 0.3 ? random.next() * 170 : 0,
        watch: {
          ...(random.next() < 0.5 ? { playSec: random.next() * 200 } : {}),
          ...(random.next() < 0.3 ? { abandonStallAfterMs: 5000 } : {}),
          ...(random.next() < 0.3 ? { abandonStartupAfterMs: 8000 } : {}),
        },
        ...(random.next() < 0.3 ? { policy: createBbaPolicy() } : {}),
        playlistRequests: random.next() < 0.5,
      });
      const where = `session ${s} (${networkClass.id})`;
      const byRung = outcome.playTimeMsByRung.reduce((sum, ms) => sum + ms, 0);
      expect(Math.abs(byRung - outcome.playTimeMs), where).toBeLessThanOrEqual(ladder.rungs.length);
      expect(
        Math.abs(outcome.watchTimeMs - outcome.playTimeMs - outcome.rebufferDurationMs),
        where,
      ).toBeLessThanOrEqual(1);
      expect(outcome.completionPercent, where).toBeLessThanOrEqual(100);
      expect(outcome.rebufferCount > 0 || outcome.rebufferDurationMs === 0, where).toBe(true);
      const times = outcome.events.map((event) => event.atMs);
      expect(times, where).toEqual([...times].sort((a, b) => a - b));
      expect(outcome.events.at(-1)?.type, where).toBe('viewend');
      const starts = outcome.events.filter((event) => event.type === 'rebufferstart').length;
      expect(starts, where).toBe(outcome.rebufferCount);
      if (outcome.startupTimeMs === undefined) expect(outcome.endReason, where).toBe('abandoned-startup');
    }
  });
});
