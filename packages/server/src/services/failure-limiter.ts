export interface FailureLimiterOptions {
  /** Failed attempts allowed per key in one window; more are refused until the window ends. */
  maxFailures: number;
  windowMs: number;
}

// Past this many keys, windows that have ended are swept, so the map stays bounded by live keys.
const sweepAboveKeys = 10_000;

/**
 * Counts failed attempts per key (an address) in fixed windows, in memory: one process's view.
 * An attempt counts from its start and is handed back when it succeeds, so that many attempts
 * started at once cannot all slip in before the first failure is counted.
 */
export function createFailureLimiter(options: FailureLimiterOptions) {
  const windows = new Map<string, { startedAt: number; count: number }>();

  function current(key: string, now: number) {
    const window = windows.get(key);
    return window && now - window.startedAt < options.windowMs ? window : undefined;
  }

  function sweep(now: number) {
    for (const [key, window] of windows) {
      if (now - window.startedAt >= options.windowMs) windows.delete(key);
    }
  }

  return {
    /** Starts an attempt: 0 when it may go ahead (and is counted), else milliseconds to wait. */
    begin(key: string): number {
      const now = Date.now();
      const window = current(key, now);
      if (!window) {
        if (windows.size >= sweepAboveKeys) sweep(now);
        windows.set(key, { startedAt: now, count: 1 });
        return 0;
      }
      if (window.count >= options.maxFailures) return window.startedAt + options.windowMs - now;
      window.count += 1;
      return 0;
    },
    /** The attempt succeeded: it no longer counts. */
    succeeded(key: string): void {
      const window = current(key, Date.now());
      if (window && window.count > 0) window.count -= 1;
    },
  };
}

export type FailureLimiter = ReturnType<typeof createFailureLimiter>;
