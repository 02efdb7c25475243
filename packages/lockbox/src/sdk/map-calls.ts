/**
 * Calls `call` once per input, all at once, and yields the results in input order. A failure
 * surfaces when its turn comes; later failures stay quiet (no unhandled rejection).
 */
export async function* mapCalls<I, R>(
  inputs: Iterable<I> | AsyncIterable<I>,
  call: (input: I) => Promise<R>,
): AsyncGenerator<R, void, undefined> {
  const calls: Promise<R>[] = [];
  for await (const input of inputs) {
    const result = call(input);
    void result.catch(() => {});
    calls.push(result);
  }
  for (const result of calls) yield await result;
}
