/**
 * Results of hot reads (a token by its hash, the secrets a resolve reads), kept until the
 * database may have changed: every entry is dropped as soon as `changeMark()` differs from the
 * mark it was read under, so a hit is never older than the last write by this process or any
 * other. Values are shared between callers and must not be changed; failed reads and misses
 * (`undefined`) are not kept.
 */
export function createReadCache(changeMark: () => string, maxEntries = 10_000) {
  let mark = "";
  const entries = new Map<string, Promise<unknown>>();

  return {
    get<T>(key: string, read: () => Promise<T>): Promise<T> {
      const now = changeMark();
      if (now !== mark) {
        entries.clear();
        mark = now;
      }
      const cached = entries.get(key) as Promise<T> | undefined;
      if (cached) return cached;
      const result = read();
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value ?? "");
      entries.set(key, result);
      const forget = () => {
        if (entries.get(key) === result) entries.delete(key);
      };
      result.then((value) => value === undefined && forget(), forget);
      return result;
    },
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;
