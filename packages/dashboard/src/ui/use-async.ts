import { useCallback, useEffect, useRef, useState } from "react";

export type AsyncState<T> =
  | { status: "loading" }
  | { status: "error"; error: Error }
  | { status: "ready"; data: T };

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * Runs `load` (a stable callback) now and whenever it changes; the returned `reload` runs it again,
 * keeping the loaded data on screen meanwhile. Answers to superseded runs are dropped.
 */
export function useAsync<T>(load: () => Promise<T>): [AsyncState<T>, () => void] {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  const latest = useRef(0);

  const run = useCallback(() => {
    latest.current += 1;
    const id = latest.current;
    setState((previous) => (previous.status === "ready" ? previous : { status: "loading" }));
    load().then(
      (data) => id === latest.current && setState({ status: "ready", data }),
      (error: unknown) => id === latest.current && setState({ status: "error", error: asError(error) }),
    );
  }, [load]);

  useEffect(() => {
    setState({ status: "loading" });
    run();
    return () => {
      latest.current += 1;
    };
  }, [run]);

  return [state, run];
}
