// Calls through a `lockbox server` in a child process, which runs them in its own sandboxed
// containers: warm calls against warm calls of the same function in local containers, taken in
// turns; cold calls against bare sandboxed node spawned on the same machine; `.map` of 1,000.
// It runs in a process of its own (this file, run directly), whose SDK is in server mode from its start.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChildServer } from "./child-server.js";
import {
  callCounts,
  coldCalls,
  echoOf,
  elapsedMs,
  mapCall,
  sandboxStartsHere,
  userModule,
} from "./containers.js";
import { deployFile, startRun } from "./internals.js";
import { median, round, sample } from "./stats.js";

const here = fileURLToPath(import.meta.url);
const lockboxPackage = fileURLToPath(new URL("../packages/lockbox", import.meta.url));
const cliPath = join(lockboxPackage, "bin", "lockbox.js");
const token = "lbx_bench_server_calls_0b7e4c";
const network = "none";

async function measure({ coldRuns, warmRuns, mapRuns }: ReturnType<typeof callCounts>) {
  const root = mkdtempSync(join(tmpdir(), "lockbox-bench-server-"));
  const server = await startChildServer("lockbox server", [cliPath, "server", "--port", "0"], {
    env: {
      ...process.env,
      LOCKBOX_HOME: join(root, "server"),
      LOCKBOX_BOOTSTRAP_TOKEN: token,
      LOCKBOX_LOG_FORMAT: "json",
    },
  });
  try {
    mkdirSync(join(root, "node_modules"));
    symlinkSync(lockboxPackage, join(root, "node_modules", "lockbox"), "dir");
    writeFileSync(join(root, "app.js"), userModule);
    Object.assign(process.env, {
      LOCKBOX_SERVER_URL: server.url,
      LOCKBOX_TOKEN: token,
      LOCKBOX_HOME: join(root, "home"),
    });
    const { Secret, RemoteFunction } = await import("lockbox");
    const values = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`KEY_${i}`, `value-${i}-${"x".repeat(24)}`]),
    );
    await Secret.objects.create("bench-secret", values);
    const secret = Secret.fromName("bench-secret");
    await deployFile({ entryFile: join(root, "app.js") });
    // The module's own functions run in local containers; deployed ones on the server.
    const run = await startRun({ entryFile: join(root, "app.js"), mask: true });
    try {
      const local = echoOf(run, network);
      const onServer = RemoteFunction.fromName("bench", network);
      const onServerFresh = RemoteFunction.fromName("bench", `${network}Fresh`);
      const coldCall = await coldCalls({
        rounds: coldRuns,
        secret,
        backend: "sandbox",
        network,
        noop: onServer,
        noopFresh: onServerFresh,
      });
      // Warm calls in turns, so that the machine's noise falls on both alike.
      const localWarm = [];
      const serverWarm = [];
      await sample(20, (i) => Promise.all([local.remote(i), onServer.remote(i)]), { warmup: 0 });
      for (let i = 0; i < warmRuns; i++) {
        localWarm.push(await elapsedMs(() => local.remote(i)));
        serverWarm.push(await elapsedMs(() => onServer.remote(i)));
      }
      const localP50Ms = median(localWarm);
      const serverP50Ms = median(serverWarm);
      return {
        backend: "sandbox",
        network,
        warmCall: {
          p50Ms: round(serverP50Ms, 3),
          localP50Ms: round(localP50Ms, 3),
          extraMs: round(serverP50Ms - localP50Ms, 3),
        },
        coldCall,
        mapCall: await mapCall(onServer, mapRuns),
      };
    } finally {
      await run.stop();
    }
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The figures, measured in a child process (see above); `undefined` where no sandbox starts. */
export async function serverCallBenchmarks({ quick }: { quick: boolean }) {
  if (!(await sandboxStartsHere())) return undefined;
  const child = spawn(process.execPath, ["--import", "tsx", here, quick ? "--quick" : "--full"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, LOCKBOX_SERVER_URL: "", LOCKBOX_CONTAINER: "" },
  });
  let text = "";
  child.stdout.on("data", (chunk) => {
    text += chunk;
  });
  const code = await new Promise((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`the server call benchmark exited ${code}`);
  return JSON.parse(text);
}

if (process.argv[1] === here) {
  process.stdout.write(JSON.stringify(await measure(callCounts(process.argv.includes("--quick")))));
  process.exit(0); // the SDK's client and idle timers must not keep the process alive
}
