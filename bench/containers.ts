// Cold and warm `.remote()` calls against spawning bare `node` with the same container backend
// (for the sandbox, with each network mode), and `.map` over 1,000 inputs on warm containers.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ContainerBackendName, createContainerPool } from "@lockbox/server/containers";
import type { NetworkMode } from "@lockbox/server/shared";
import type { Secret } from "lockbox";
import { baseEnvironment, limited, type StartedRun, spawnSandboxed, startRun } from "./internals.js";
import { median, round, sample } from "./stats.js";

const lockboxPackage = fileURLToPath(new URL("../packages/lockbox", import.meta.url));

// `fresh` also sets a variable node reads only as it starts: its containers never start from a
// spare (see container-spares.ts), as the first container of a bundle does not.
export const userModule = `
import { App, Secret } from "lockbox";
const app = new App("bench");
const secrets = [Secret.fromName("bench-secret")];
const fresh = { NODE_NO_WARNINGS: "1" };
export const outbound = app.function({ secrets, network: "outbound" }, async (n) => n);
export const outboundFresh = app.function({ secrets, env: fresh, network: "outbound" }, async (n) => n);
export const none = app.function({ secrets, network: "none" }, async (n) => n);
export const noneFresh = app.function({ secrets, env: fresh, network: "none" }, async (n) => n);
`;

// After a cold call the pool starts the bundle's next spare: let it finish before the next
// measurement, so that it slows neither side.
const settleMs = 300;

const tmpMb = 64;

/**
 * Bare node until it exits, launched the way the backend launches a container's node: rlimits,
 * and for the sandbox the same namespaces, mounts and network.
 */
function bareNode(backend: ContainerBackendName, network: NetworkMode): Promise<void> {
  const node = limited([process.execPath, "-e", "0"], tmpMb);
  const [file = process.execPath, ...args] = node;
  const child =
    backend === "sandbox"
      ? spawnSandboxed(node, baseEnvironment(), { network, tmpMb })
      : spawn(file, args, { env: baseEnvironment(), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) =>
      code === 0
        ? resolve()
        : reject(new Error(`bare node exited (${signal ?? `code ${code}`}): ${stderr.trim()}`)),
    );
  });
}

/** A project whose module imports "lockbox", and an embedded Lockbox with the secret it uses. */
async function setUp() {
  const root = mkdtempSync(join(tmpdir(), "lockbox-bench-"));
  mkdirSync(join(root, "node_modules"));
  symlinkSync(lockboxPackage, join(root, "node_modules", "lockbox"), "dir");
  writeFileSync(join(root, "app.js"), userModule);
  process.env.LOCKBOX_HOME = join(root, "home");
  delete process.env.LOCKBOX_SERVER_URL;
  const { Secret } = await import("lockbox");
  const values = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`KEY_${i}`, `value-${i}-${"x".repeat(24)}`]),
  );
  await Secret.objects.create("bench-secret", values);
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

const mapInputs = Array.from({ length: 1000 }, (_, i) => i);

/** One `.map` over `inputs`, checking that every result came back, in order. */
async function mapOnce(fn: Echo, inputs: readonly number[]): Promise<void> {
  let next = 0;
  for await (const result of fn.map(inputs)) {
    if (result !== inputs[next++]) throw new Error(`.map yielded ${result} for input ${next - 1}`);
  }
  if (next !== inputs.length) throw new Error(`.map yielded ${next} of ${inputs.length} results`);
}

/** `.map` of 1,000 on warm containers (median of `runs`), after a shorter unmeasured one that starts them. */
export async function mapCall(fn: Echo, runs: number) {
  await mapOnce(fn, mapInputs.slice(0, 100));
  const seconds = median(await sample(runs, () => mapOnce(fn, mapInputs), { warmup: 0 })) / 1000;
  return {
    inputs: mapInputs.length,
    seconds: round(seconds, 3),
    callsPerSecond: Math.round(mapInputs.length / seconds),
  };
}

export const elapsedMs = async (action: () => unknown): Promise<number> => {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e6;
};

/** What `coldCalls` times: `noop` and `noopFresh` (whose node starts afresh) against bare node. */
interface ColdCallOptions {
  rounds: number;
  /** The secret the functions get: a new version each round, so that they need new containers. */
  secret: Secret;
  backend: ContainerBackendName;
  network: NetworkMode;
  noop: Echo;
  noopFresh: Echo;
}

/** The user module's functions, run here or deployed: each returns its argument. */
export interface Echo {
  remote(n: number): Promise<unknown>;
  map(inputs: Iterable<number>): AsyncIterable<unknown>;
}

/** How many calls a benchmark of calls makes of each kind. */
export const callCounts = (quick: boolean) =>
  quick ? { coldRuns: 7, warmRuns: 200, mapRuns: 1 } : { coldRuns: 21, warmRuns: 1000, mapRuns: 3 };

/** The function `name` of a started run, which the user module exports. */
export function echoOf(run: StartedRun, name: string): Echo {
  const fn = run.findFunction(name);
  if (!fn) throw new Error(`The bench's module exports no function ${name}`);
  return fn;
}

/**
 * Whether functions run in the sandbox here: the backend a pool picks by itself (as root, it
 * refuses rather than fall back when no sandbox can start).
 */
export async function sandboxStartsHere(): Promise<boolean> {
  try {
    const pool = createContainerPool({ output: { stdout: process.stdout, stderr: process.stderr } });
    await pool.close();
    return pool.backend === "sandbox";
  } catch {
    return false;
  }
}

/**
 * Cold calls: each round makes a new secret version (so the calls need new containers) and times
 * a bare spawn, a call whose node starts afresh and one from a spare, in turns, so that the
 * machine's noise falls on all alike; the first round only warms caches.
 */
export async function coldCalls({ rounds, secret, backend, network, noop, noopFresh }: ColdCallOptions) {
  const bare: number[] = [];
  const cold: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    await secret.update({ ROUND: `${i}` });
    const bareMs = await elapsedMs(() => bareNode(backend, network));
    const freshMs = await elapsedMs(() => noopFresh.remote(i));
    const coldMs = await elapsedMs(() => noop.remote(i));
    // The pool starts the bundle's next spare after a cold call: let it finish first.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    if (i === 0) continue;
    bare.push(bareMs);
    fresh.push(freshMs);
    cold.push(coldMs);
  }
  const bareSpawnP50Ms = median(bare);
  return {
    p50Ms: round(median(cold)),
    bareSpawnP50Ms: round(bareSpawnP50Ms),
    ratio: round(median(cold) / bareSpawnP50Ms),
    freshP50Ms: round(median(fresh)),
    freshRatio: round(median(fresh) / bareSpawnP50Ms),
  };
}

/**
 * One backend and network mode: cold calls (a new secret version each time forces a new container), from a spare
 * and started afresh, interleaved with bare spawns, so that the machine's noise falls on all
 * alike; then warm calls; then `.map`, after a shorter unmeasured one that starts the containers
 * it runs on (the pool's most per function).
 */
async function measure(
  backend: ContainerBackendName,
  network: NetworkMode,
  root: string,
  { coldRuns, warmRuns, mapRuns }: ReturnType<typeof callCounts>,
) {
  process.env.LOCKBOX_CONTAINER = backend;
  const { Secret } = await import("lockbox");
  const run = await startRun({ entryFile: join(root, "app.js"), mask: true });
  try {
    const noop = echoOf(run, network);
    const noopFresh = echoOf(run, `${network}Fresh`);
    const secret = Secret.fromName("bench-secret");
    const coldCall = await coldCalls({ rounds: coldRuns, secret, backend, network, noop, noopFresh });
    const warm = await sample(warmRuns, (i) => noop.remote(i), { warmup: 20 });
    return {
      backend,
      // The process backend has the host's network whatever the option says.
      network: backend === "sandbox" ? network : "host",
      coldCall,
      warmCall: { p50Ms: round(median(warm), 3) },
      mapCall: await mapCall(noop, mapRuns),
    };
  } finally {
    await run.stop();
  }
}

/** Both backends (the sandbox only where it starts), the sandbox with each network mode. */
export async function containerBenchmarks({ quick }: { quick: boolean }) {
  const sandbox = await sandboxStartsHere();
  const runs: (readonly [ContainerBackendName, NetworkMode])[] = [
    ["process", "none"],
    ...(sandbox
      ? ([
          ["sandbox", "outbound"],
          ["sandbox", "none"],
        ] as const)
      : []),
  ];
  const { root, dispose } = await setUp();
  try {
    const results = [];
    for (const [backend, network] of runs) {
      results.push(await measure(backend, network, root, callCounts(quick)));
    }
    return results;
  } finally {
    dispose();
  }
}
