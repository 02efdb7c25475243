// Cold and warm `.remote()` calls against spawning bare `node` with the same container backend
// (for the sandbox, with each network mode), and `.map` over 1,000 inputs on warm containers.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { baseEnvironment, limited, spawnSandboxed } from "@lockbox/server/containers";
import { median, round, sample } from "./stats.mjs";

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
function bareNode(backend, network) {
  const node = limited([process.execPath, "-e", "0"], tmpMb);
  const child =
    backend === "sandbox"
      ? spawnSandboxed(node, baseEnvironment(), { network, tmpMb })
      : spawn(node[0], node.slice(1), { env: baseEnvironment(), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) =>
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
  writeFileSync(join(root, "app.mjs"), userModule);
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
export async function mapOnce(fn, inputs) {
  let next = 0;
  for await (const result of fn.map(inputs)) {
    if (result !== inputs[next++]) throw new Error(`.map yielded ${result} for input ${next - 1}`);
  }
  if (next !== inputs.length) throw new Error(`.map yielded ${next} of ${inputs.length} results`);
}

export const elapsedMs = async (action) => {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e6;
};

/**
 * Cold calls: each round makes a new secret version (so the calls need new containers) and times
 * a bare spawn, a call whose node starts afresh and one from a spare, in turns, so that the
 * machine's noise falls on all alike; the first round only warms caches.
 */
export async function coldCalls({ rounds, secret, backend, network, noop, noopFresh }) {
  const bare = [];
  const cold = [];
  const fresh = [];
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
async function measure(backend, network, root, { coldRuns, warmRuns, mapRuns }) {
  process.env.LOCKBOX_CONTAINER = backend;
  const { startRun } = await import("../packages/lockbox/dist/sdk/runner.js");
  const { Secret } = await import("lockbox");
  const run = await startRun({ entryFile: join(root, "app.mjs"), mask: true });
  try {
    const noop = run.findFunction(network);
    const noopFresh = run.findFunction(`${network}Fresh`);
    const secret = Secret.fromName("bench-secret");
    const coldCall = await coldCalls({ rounds: coldRuns, secret, backend, network, noop, noopFresh });
    const warm = await sample(warmRuns, (i) => noop.remote(i), { warmup: 20 });
    await mapOnce(noop, mapInputs.slice(0, 100));
    const mapSeconds = median(await sample(mapRuns, () => mapOnce(noop, mapInputs), { warmup: 0 })) / 1000;
    return {
      backend,
      // The process backend has the host's network whatever the option says.
      network: backend === "sandbox" ? network : "host",
      coldCall,
      warmCall: { p50Ms: round(median(warm), 3) },
      mapCall: {
        inputs: mapInputs.length,
        seconds: round(mapSeconds, 3),
        callsPerSecond: Math.round(mapInputs.length / mapSeconds),
      },
    };
  } finally {
    await run.stop();
  }
}

/** Both backends (the sandbox only where it starts), the sandbox with each network mode. */
export async function containerBenchmarks({ quick }) {
  const { detectBackend } = await import("@lockbox/server/containers");
  // As root, detection refuses rather than fall back when no sandbox can start.
  const sandbox = (() => {
    try {
      return detectBackend() === "sandbox";
    } catch {
      return false;
    }
  })();
  const runs = [
    ["process", "none"],
    ...(sandbox
      ? [
          ["sandbox", "outbound"],
          ["sandbox", "none"],
        ]
      : []),
  ];
  const { root, dispose } = await setUp();
  try {
    const results = [];
    for (const [backend, network] of runs) {
      const counts = quick
        ? { coldRuns: 7, warmRuns: 200, mapRuns: 1 }
        : { coldRuns: 21, warmRuns: 1000, mapRuns: 3 };
      results.push(await measure(backend, network, root, counts));
    }
    return results;
  } finally {
    dispose();
  }
}
