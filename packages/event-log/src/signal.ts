/**
 * A wake-up call for async loops: `wait()` resolves at the next `notify()`. Loops check their
 * condition synchronously before waiting, so a notify can never fall between check and wait.
 */
export interface Signal {
  wait(): Promise<void>;
  notify(): void;
}

export function createSignal(): Signal {
  let waiters: (() => void)[] = [];
  return {
    wait: () => new Promise<void>((resolve) => waiters.push(resolve)),
    notify: () => {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
  };
}
