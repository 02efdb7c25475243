import type { ChildProcess } from "node:child_process";
import { type ContainerBackend, type ContainerLaunch, killContainer } from "./container-backend.js";
import { channelOf } from "./container-channel.js";
import type { ContainerSpec } from "./container-types.js";

// Node reads these only as it starts (options, CA certificates, module paths, OpenSSL, the ICU
// locale): a container whose secrets set one must start with them in its environment.
const readAtStart = /^(NODE_|UV_|OPENSSL_|SSL_CERT_|LC_)|^(LANG|LANGUAGE|TZ)$/;

interface Spare {
  child: ChildProcess;
  bundlePath: string;
  /** True once it waits for its environment; false if it exited first. */
  waiting: Promise<boolean>;
  idleTimer: NodeJS.Timeout;
}

function awaitWaiting(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    channelOf(child).once("message", (message) =>
      resolve((message as { type?: unknown })?.type === "waiting"),
    );
    child.once("exit", () => resolve(false));
    child.once("error", () => resolve(false));
  });
}

type SpareLaunch = Omit<ContainerLaunch, "env">;

// A spare's sandbox is made before its secrets come: it serves only containers made the same way.
const spareKey = ({ bundlePath, network, tmpMb, files = [] }: SpareLaunch) =>
  `${network}|${tmpMb}|${bundlePath}|${JSON.stringify(files)}`;

/**
 * Containers started ahead of need: one per bundle and sandbox shape, node already running and
 * waiting for its secrets, so that a cold start need not wait for node to start. A spare is a
 * fresh process that has run no user code; it gets its secrets over its private channel (never
 * argv) just before it imports the bundle. Spares not taken within `idleStopMs` are stopped.
 */
export function createSpares(backend: ContainerBackend, { idleStopMs }: { idleStopMs: number }) {
  const spares = new Map<string, Spare>();

  function discard(key: string, spare: Spare): void {
    clearTimeout(spare.idleTimer);
    if (spares.get(key) === spare) spares.delete(key);
  }

  async function stopWhere(match: (spare: Spare) => boolean): Promise<void> {
    const stopping = [...spares.entries()]
      .filter(([, spare]) => match(spare))
      .map(([key, spare]) => {
        discard(key, spare);
        const exited = new Promise((resolve) => spare.child.once("exit", resolve));
        killContainer(spare.child);
        return spare.child.exitCode === null && spare.child.signalCode === null ? exited : undefined;
      });
    await Promise.all(stopping);
  }

  return {
    /** Starts a spare for `launch`, unless one is there; failing quietly, as the call will not. */
    prepare(launch: SpareLaunch): void {
      const key = spareKey(launch);
      if (spares.has(key)) return;
      let child: ChildProcess;
      try {
        child = backend.spawn({
          bundlePath: launch.bundlePath,
          network: launch.network,
          tmpMb: launch.tmpMb,
          files: launch.files,
        });
      } catch {
        return; // the bundle is gone, say: a cold start will spawn and report it
      }
      const spare: Spare = {
        child,
        bundlePath: launch.bundlePath,
        waiting: awaitWaiting(child),
        idleTimer: setTimeout(() => killContainer(child), idleStopMs).unref(),
      };
      spares.set(key, spare);
      child.once("exit", () => discard(key, spare));
    },

    /**
     * The spare for `spec`'s bundle, given `spec.env` and importing it; `undefined` when there is
     * none, it failed, or the secrets set a variable node reads only as it starts.
     */
    async take(spec: ContainerSpec): Promise<ChildProcess | undefined> {
      const key = spareKey(spec);
      const spare = spares.get(key);
      if (!spare || Object.keys(spec.env).some((name) => readAtStart.test(name))) return undefined;
      discard(key, spare);
      const channel = channelOf(spare.child);
      if (!(await spare.waiting) || !channel.open) return undefined;
      channel.send({ type: "environment", env: spec.env });
      return spare.child;
    },

    /** Stops every spare; resolves once they are gone. */
    close: () => stopWhere(() => true),

    /** Stops the spares of the bundle at `bundlePath`; resolves once they are gone. */
    retire: (bundlePath: string) => stopWhere((spare) => spare.bundlePath === bundlePath),
  };
}

export type Spares = ReturnType<typeof createSpares>;
