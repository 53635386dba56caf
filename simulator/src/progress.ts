/** One progress line on stderr, at most once per interval: sessions, beacons accepted/refused, errors. */
export interface ProgressCounts {
  sessionsDone: number;
  sessionsTotal: number;
  beaconsAccepted: number;
  beaconsRefused: number;
  errors: number;
}

export interface Progress {
  /** Prints a line if at least the interval passed since the last one. */
  tick(): void;
  /** Prints the last line. */
  done(): void;
}

export function createProgress(options: {
  counts: () => ProgressCounts;
  write: (line: string) => void;
  now?: () => number;
  intervalMs?: number;
}): Progress {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 1000;
  let lastMs = now();
  const print = (): void => {
    const c = options.counts();
    options.write(
      `simulate: ${c.sessionsDone}/${c.sessionsTotal} sessions · beacons ${c.beaconsAccepted} accepted, ${c.beaconsRefused} refused · ${c.errors} errors`,
    );
  };
  return {
    tick() {
      const t = now();
      if (t - lastMs < intervalMs) return;
      lastMs = t;
      print();
    },
    done: print,
  };
}
