/**
 * Notices a consumer that silently stopped receiving — kafkajs has been seen to stop fetching with
 * no error and no crash event (FACTS.md), and a handler stuck on a dependency that never answers
 * blocks fetching the same way. Every `checkIntervalMs` it reads the group's lag (also the lag
 * metric); lag above zero with no sign of life for `stallAfterMs` is a stall, reported once per
 * stall through `onStall` (the owner restarts its subscription). An idle consumer with no lag is
 * never a stall, however long it has not fetched.
 */
export interface ConsumerWatchdogOptions {
  checkIntervalMs: number;
  stallAfterMs: number;
}

export interface ConsumerWatchdogDeps extends ConsumerWatchdogOptions {
  /** Uncommitted messages of the group; a failure skips that check (the log may be restarting). */
  lag(): Promise<number>;
  onLag(lag: number): void;
  onStall(silentForMs: number, lag: number): void;
  onCheckFailed(err: unknown): void;
  now?: () => number;
}

export interface ConsumerWatchdog {
  /** Proof of life: a fetch, a group join, a handled batch. */
  alive(): void;
  stop(): void;
}

export function startConsumerWatchdog(deps: ConsumerWatchdogDeps): ConsumerWatchdog {
  const now = deps.now ?? Date.now;
  let lastAliveMs = now();
  let checking = false;
  const check = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    try {
      const lag = await deps.lag();
      deps.onLag(lag);
      const silentForMs = now() - lastAliveMs;
      if (lag > 0 && silentForMs >= deps.stallAfterMs) {
        // Counted from here again: a restart needs its own stallAfterMs to show life.
        lastAliveMs = now();
        deps.onStall(silentForMs, lag);
      }
    } catch (err) {
      deps.onCheckFailed(err);
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), deps.checkIntervalMs);
  timer.unref();
  return {
    alive() {
      lastAliveMs = now();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
