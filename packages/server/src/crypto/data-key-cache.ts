/** How long an unwrapped data key is kept, and how many at most. */
interface DataKeyCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Unwrapped data keys kept for a short time, so that a secret read over and over (every
 * container start reads its secrets) is unwrapped once a minute rather than on every read.
 * Entries are found by the wrapped key's bytes and what it is bound to, so a changed or moved
 * wrapped key is never served from here; a key leaving the cache is zeroed. The process holds
 * the master keys anyway: keeping their products a minute exposes nothing more.
 */
export function createDataKeyCache({
  ttlMs = 60_000,
  maxEntries = 10_000,
  now = Date.now,
}: DataKeyCacheOptions = {}) {
  const entries = new Map<string, { key: Buffer; expiresAt: number }>();

  function forget(id: string): void {
    entries.get(id)?.key.fill(0);
    entries.delete(id);
  }

  return {
    /** The data key cached as `id`, else `unwrap()`'s (cached when it is a key). */
    get(id: string, unwrap: () => Buffer | undefined): Buffer | undefined {
      // Insertion order is age order: stale keys are dropped from the front.
      const at = now();
      for (const [oldest, { expiresAt }] of entries) {
        if (expiresAt > at) break;
        forget(oldest);
      }
      const cached = entries.get(id);
      if (cached) return cached.key;
      const key = unwrap();
      if (!key) return undefined;
      if (entries.size >= maxEntries) forget(entries.keys().next().value ?? "");
      entries.set(id, { key, expiresAt: at + ttlMs });
      return key;
    },
  };
}
