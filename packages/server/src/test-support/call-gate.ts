import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP server that holds each request until the test opens its gate: a function in a
 * `process` container (which has the host's network) fetches `url(name)` to say it runs and to
 * wait, so a test waits on events, never on time.
 */
export interface CallGate {
  /** The URL a function fetches; its answer is the text `name`. */
  url(name: string): string;
  /** Resolves once a request for `name` came in: the function runs. */
  arrived(name: string): Promise<void>;
  /** True once a request for `name` came in. */
  seen(name: string): boolean;
  /** Answers the requests for `name`, now and later. */
  open(name: string): void;
  close(): Promise<void>;
}

export async function startCallGate(): Promise<CallGate> {
  const held = new Map<string, ServerResponse[]>();
  const arrivals = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const opened = new Set<string>();
  const seen = new Set<string>();
  const arrival = (name: string) => {
    let entry = arrivals.get(name);
    if (!entry) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      entry = { promise, resolve };
      arrivals.set(name, entry);
    }
    return entry;
  };
  const server = createServer((request, response) => {
    const name = decodeURIComponent(request.url?.slice(1) ?? "");
    seen.add(name);
    arrival(name).resolve();
    if (opened.has(name)) response.end(name);
    else held.set(name, [...(held.get(name) ?? []), response]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    arrived: (name) => arrival(name).promise,
    seen: (name) => seen.has(name),
    open(name) {
      opened.add(name);
      for (const response of held.get(name) ?? []) response.end(name);
      held.delete(name);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
