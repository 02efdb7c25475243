interface FailureLimiterOptions {
  /** Failed attempts allowed per key in one window; more are refused until the window ends. */
  maxFailures: number;
  windowMs: number;
}

// Keys counted at once at most: a flood of new keys (addresses, tokens) cannot grow the map
// without bound. Past it, windows that have ended go first, then the oldest, nearest their end.
export const limiterMaxKeys = 10_000;

/**
 * Counts failed attempts per key (an address, a token, a workspace) in fixed windows, in memory:
 * one process's view. An attempt counts from its start and is handed back when it succeeds, so
 * that many attempts started at once cannot all slip in before the first failure is counted.
 */
export function createFailureLimiter(options: FailureLimiterOptions) {
  // In the order the windows started: a key whose window ends is put back at the end.
  const windows = new Map<string, { startedAt: number; count: number }>();

  function current(key: string, now: number) {
    const window = windows.get(key);
    return window && now - window.startedAt < options.windowMs ? window : undefined;
  }

  function makeRoom(now: number) {
    for (const [key, window] of windows) {
      if (windows.size < limiterMaxKeys && now - window.startedAt < options.windowMs) return;
      windows.delete(key);
    }
  }

  return {
    /** Starts an attempt: 0 when it may go ahead (and is counted), else milliseconds to wait. */
    begin(key: string): number {
      const now = Date.now();
      const window = current(key, now);
      if (!window) {
        windows.delete(key);
        if (windows.size >= limiterMaxKeys) makeRoom(now);
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
