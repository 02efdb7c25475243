import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { InternalError } from "../shared/errors.js";
import type { NetworkMode } from "../shared/rules.js";
import { findExecutable, killContainer, withoutInherited } from "./container-backend.js";

/**
 * Every sandbox has a network namespace of its own, so no host loopback service and no abstract
 * unix socket of the host is reachable. `outbound` adds user-mode networking (slirp4netns): TCP
 * and UDP out through the host's stack, DNS at 10.0.2.3, the host's loopback refused.
 */
export function networkFlags(mode: NetworkMode, infoFd: number, blockFd: number): string[] {
  if (mode === "none") return ["--unshare-net"];
  // bubblewrap says which pid the sandbox has, then waits to start the function until the
  // network is up, so a function never sees it missing.
  return ["--unshare-net", "--info-fd", `${infoFd}`, "--block-fd", `${blockFd}`];
}

/** The slirp4netns binary (found on the PATH), or an error naming the helper to install. */
export function findNetworkHelper(slirp = findExecutable("slirp4netns")): string {
  if (!slirp) {
    throw new InternalError(
      "A function with network: 'outbound' needs slirp4netns, which is not installed: install it (apt-get install slirp4netns), or use network: 'none'",
    );
  }
  return slirp;
}

const exitedEarly = () => new Error("the sandbox exited before its network was set up");

/** How long bubblewrap gets to give a new sandbox its loopback address, which it does first. */
const loopbackWaitMs = 5000;

/**
 * Resolves once the sandbox `pid`'s network namespace has its loopback address. slirp4netns brings
 * `lo` up, which makes the kernel add 127.0.0.1 itself: done before bubblewrap adds it, bubblewrap's
 * own add fails (EEXIST) and the sandbox dies. bubblewrap adds it just after it says the pid, so
 * this waits a moment at most; the local route it makes is what shows it in /proc.
 */
async function loopbackReady(pid: number): Promise<void> {
  const deadline = Date.now() + loopbackWaitMs;
  const routes = () =>
    readFile(`/proc/${pid}/net/fib_trie`, "latin1").catch(() => Promise.reject(exitedEarly()));
  while ((await routes()).trim() === "") {
    if (Date.now() > deadline)
      throw new Error(`bubblewrap did not set up the sandbox's loopback within ${loopbackWaitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function readChildPid(info: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    info.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      try {
        resolve((JSON.parse(text) as { "child-pid": number })["child-pid"]);
      } catch {}
    });
    info.once("close", () => reject(exitedEarly()));
  });
}

// Why a sandbox's network could not be set up, for the message of the container it killed.
const failures = new WeakMap<ChildProcess, string>();

/** Why the network of the sandbox `child` failed, if it did. */
export function networkFailure(child: ChildProcess): string | undefined {
  return failures.get(child);
}

/**
 * Gives the sandbox `child` (spawned with `networkFlags` at those fds) its outbound network, then
 * lets it start. slirp4netns runs as the sandbox's host user under a seccomp filter of its own
 * (it parses the function's packets; its `--enable-sandbox` would need uid 0 mapped in the
 * sandbox's user namespace), joins the sandbox's namespaces, and exits with the sandbox (its exit
 * pipe closes when this process or the sandbox is gone).
 */
export function attachNetwork(
  child: ChildProcess,
  slirp: string,
  fds: { info: number; block: number },
  user: { uid?: number; gid?: number },
): void {
  const info = child.stdio[fds.info] as Readable;
  const block = child.stdio[fds.block] as Writable;
  const fail = (why: string) => {
    if (!failures.has(child)) failures.set(child, `its network could not be set up: ${why}`);
    killContainer(child);
  };
  block.on("error", () => {});
  const sandboxPid = readChildPid(info).then(async (pid) => {
    await loopbackReady(pid);
    return pid;
  });
  void sandboxPid.then(
    (pid) => {
      // biome-ignore format: the flags read as pairs
      const helper = spawn(slirp, [
      "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-seccomp",
      "--ready-fd", "3", "--exit-fd", "4", `--userns-path=/proc/${pid}/ns/user`, `${pid}`, "tap0",
    ], { stdio: withoutInherited(["ignore", "ignore", "pipe", "pipe", "pipe"]), env: {}, ...user });
      let said = "";
      helper.stderr?.on("data", (chunk: Buffer) => {
        said = (said + chunk.toString()).slice(-2000);
      });
      const exitPipe = helper.stdio[4] as Writable;
      exitPipe.on("error", () => {});
      helper.once("error", (error) => fail(`slirp4netns could not start (${error.message})`));
      helper.once("close", (code) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // Its last lines: the cause comes before the "child failed" that ends them.
        const last = said.trim().split("\n").slice(-3).join("; ");
        fail(`slirp4netns exited (code ${code})${last ? `: ${last}` : ""}`);
      });
      (helper.stdio[3] as Readable).once("data", () => block.end("1"));
      child.once("exit", () => {
        exitPipe.destroy();
        helper.kill("SIGKILL");
      });
    },
    (error: Error) => fail(error.message),
  );
}
