/** Calls in flight at once for a `.map` through a server, which queues a workspace's calls only so far (and answers 429 past it). */
export const serverMapLimit = 16;

/**
 * Calls `call` once per input, at most `limit` at a time (default: all at once), and yields the
 * results in input order. A failure surfaces when its turn comes; later failures stay quiet (no
 * unhandled rejection).
 */
export async function* mapCalls<I, R>(
  inputs: Iterable<I> | AsyncIterable<I>,
  call: (input: I) => Promise<R>,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<R, void, undefined> {
  const calls: Promise<R>[] = [];
  let running = 0;
  const freed: (() => void)[] = [];
  for await (const input of inputs) {
    while (running >= limit) await new Promise<void>((resolve) => freed.push(resolve));
    running++;
    const result = call(input).finally(() => {
      running--;
      freed.shift()?.();
    });
    void result.catch(() => {});
    calls.push(result);
  }
  for (const result of calls) yield await result;
}
