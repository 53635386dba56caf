/**
 * Model against player, one trace at a time: the QoE numbers issue 11 holds the playback model to
 * (startup, stall count and time, share of played time per rung), the differences, and whether
 * each is within the stated tolerance. Numbers on both sides are the SDK's names.
 */
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { SessionOutcome } from '@streamloop/playback-model/player-model';

/** Issue 11's starting tolerances. */
export const TOLERANCE = {
  /** |model − player| ≤ 30 % of the player's startup. */
  startupShare: 0.3,
  /** |model − player| ≤ 25 % of the player's stall time + 0.5 s. */
  stallShare: 0.25,
  stallSlackMs: 500,
  /** Stall count: no tolerance is stated; one stall more or fewer is allowed. */
  stallCount: 1,
  /** Each rung's share of played time within 15 percentage points. */
  rungSharePoints: 15,
} as const;

/** What the player did, from its beacons. */
export interface PlayerNumbers {
  /**
   * Master playlist request to first frame. The SDK's own startup starts at play intent, which
   * autoplay on the watch page fires only once VHS has loaded the playlists; the model's clock
   * starts at the master request (`playlistRequests`), so that is the comparable span.
   */
  masterToFirstFrameMs: number | undefined;
  rebufferCount: number;
  rebufferDurationMs: number;
  /** Played time by rendition height. */
  playTimeMsByHeight: ReadonlyMap<number, number>;
}

export interface TraceComparison {
  trace: string;
  player: { startupTimeMs: number; rebufferCount: number; rebufferDurationMs: number; rungShares: number[] };
  model: { startupTimeMs: number; rebufferCount: number; rebufferDurationMs: number; rungShares: number[] };
  /** Each check that failed, in words. */
  failures: string[];
}

const shares = (values: readonly number[]): number[] => {
  const total = values.reduce((a, v) => a + v, 0);
  return values.map((v) => (total > 0 ? (100 * v) / total : 0));
};

export function compareToModel(
  trace: string,
  ladder: Ladder,
  player: PlayerNumbers,
  model: SessionOutcome,
): TraceComparison {
  const failures: string[] = [];
  const playerByRung = ladder.rungs.map((rung) => player.playTimeMsByHeight.get(rung.height) ?? 0);
  const unknown = [...player.playTimeMsByHeight.keys()].filter(
    (height) => !ladder.rungs.some((rung) => rung.height === height),
  );
  if (unknown.length > 0) failures.push(`player showed heights the ladder does not have: ${unknown.join(', ')}`);
  if (player.masterToFirstFrameMs === undefined) failures.push('the player reported no startup time');
  if (model.startupTimeMs === undefined) failures.push('the model never started');
  const result: TraceComparison = {
    trace,
    player: {
      startupTimeMs: player.masterToFirstFrameMs ?? Number.NaN,
      rebufferCount: player.rebufferCount,
      rebufferDurationMs: player.rebufferDurationMs,
      rungShares: shares(playerByRung),
    },
    model: {
      startupTimeMs: model.startupTimeMs ?? Number.NaN,
      rebufferCount: model.rebufferCount,
      rebufferDurationMs: model.rebufferDurationMs,
      rungShares: shares(model.playTimeMsByRung),
    },
    failures,
  };
  const { player: p, model: m } = result;
  const startupLimit = TOLERANCE.startupShare * p.startupTimeMs;
  if (!(Math.abs(m.startupTimeMs - p.startupTimeMs) <= startupLimit))
    failures.push(`startup ${m.startupTimeMs} ms vs ${p.startupTimeMs} ms (limit ±${Math.round(startupLimit)} ms)`);
  const stallLimit = TOLERANCE.stallShare * p.rebufferDurationMs + TOLERANCE.stallSlackMs;
  if (!(Math.abs(m.rebufferDurationMs - p.rebufferDurationMs) <= stallLimit))
    failures.push(
      `stall time ${m.rebufferDurationMs} ms vs ${p.rebufferDurationMs} ms (limit ±${Math.round(stallLimit)} ms)`,
    );
  if (Math.abs(m.rebufferCount - p.rebufferCount) > TOLERANCE.stallCount)
    failures.push(`stalls ${m.rebufferCount} vs ${p.rebufferCount}`);
  ladder.rungs.forEach((rung, i) => {
    const diff = (m.rungShares[i] ?? 0) - (p.rungShares[i] ?? 0);
    if (Math.abs(diff) > TOLERANCE.rungSharePoints)
      failures.push(`${rung.height}p share ${m.rungShares[i]?.toFixed(1)} % vs ${p.rungShares[i]?.toFixed(1)} %`);
  });
  return result;
}

const pct = (value: number): string => `${value.toFixed(0)}`;

/** The per-trace table (Markdown), player / model / difference side by side. */
export function formatComparisons(ladder: Ladder, comparisons: readonly TraceComparison[]): string {
  const rungNames = ladder.rungs.map((rung) => `${rung.height}p`);
  const header = [
    'trace',
    'startup ms player / model (Δ %)',
    'stalls player / model',
    'stall ms player / model (Δ ms)',
    `rung shares % player / model (${rungNames.join(' ')})`,
    'max rung Δ pts',
    'ok',
  ];
  const rows = comparisons.map(({ trace, player: p, model: m, failures }) => {
    const startupDiff = (100 * (m.startupTimeMs - p.startupTimeMs)) / p.startupTimeMs;
    const rungDiff = Math.max(...m.rungShares.map((share, i) => Math.abs(share - (p.rungShares[i] ?? 0))));
    return [
      trace,
      `${p.startupTimeMs} / ${m.startupTimeMs} (${startupDiff >= 0 ? '+' : ''}${startupDiff.toFixed(0)} %)`,
      `${p.rebufferCount} / ${m.rebufferCount}`,
      `${p.rebufferDurationMs} / ${m.rebufferDurationMs} (${m.rebufferDurationMs - p.rebufferDurationMs >= 0 ? '+' : ''}${m.rebufferDurationMs - p.rebufferDurationMs})`,
      `${p.rungShares.map(pct).join('-')} / ${m.rungShares.map(pct).join('-')}`,
      rungDiff.toFixed(1),
      failures.length === 0 ? 'yes' : 'NO',
    ];
  });
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
