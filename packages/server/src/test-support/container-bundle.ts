import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { type ContainerFolderOptions, writeContainerFolder } from "../containers/container-folder.js";
import type { ContainerOutput, ContainerSpec } from "../containers/container-types.js";
import { descendantsOf } from "../containers/process-tree.js";
import { limits } from "../shared/rules.js";

// A hand-made ESM bundle that fills the registry itself, as an SDK bundle would: the container
// tests do not depend on the SDK.
const functions = {
  env: "() => ({ ...process.env })",
  environ: `(needle) => ({
    env: { ...process.env },
    inEnviron: fs.readFileSync('/proc/self/environ', 'latin1').includes(needle),
  })`,
  inside: "() => globalThis[Symbol.for('lockbox.insideContainer')] === true",
  echo: "(...args) => args",
  fail: "() => { class CustomError extends Error { name = 'CustomError'; } throw new CustomError('it broke'); }",
  sleep: "(ms) => new Promise((resolve) => setTimeout(resolve, ms))",
  announceSleep:
    "(ms) => { process.stdout.write('sleeping\\n'); return new Promise((resolve) => setTimeout(resolve, ms)); }",
  whoami: "async (ms = 0) => { await sleep(ms); return { id, pid: process.pid, uid: process.getuid() }; }",
  print: "(out, err) => { process.stdout.write(out); process.stderr.write(err); }",
  printSplit: "async (a, b) => { process.stdout.write(a); await sleep(5); process.stdout.write(b); }",
  tryWrite:
    "(path) => { try { fs.writeFileSync(path, 'x'); return 'written'; } catch (e) { return e.code; } }",
  tryRead: "(path) => { try { return fs.readFileSync(path, 'utf8'); } catch (e) { return e.code; } }",
  scanProc: `(needle) => {
    const pids = fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).map(Number);
    const readable = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/environ', 'latin1'); } catch { return ''; } };
    return { pids, found: pids.filter((pid) => readable(pid).includes(needle)) };
  }`,
  exit: "(code) => process.exit(code)",
  listDir: "(path) => { try { return fs.readdirSync(path).sort(); } catch (e) { return e.code; } }",
  connect: `(...address) => new Promise((resolve) => {
    const socket = net.connect(...address);
    socket.setTimeout(3000, () => { socket.destroy(); resolve('timeout'); });
    socket.on('connect', () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (e) => resolve(e.code));
  })`,
  fetchText:
    "async (url) => { try { return await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text(); } catch (e) { return e.cause?.code ?? e.name; } }",
  fillTmp: `(mb) => {
    const chunk = Buffer.alloc(1024 * 1024, 120);
    let written = 0;
    try {
      for (let file = 0; written < mb; file++) {
        const fd = fs.openSync('/tmp/fill-' + file, 'w');
        try { for (let i = 0; i < 8 && written < mb; i++, written++) fs.writeSync(fd, chunk); } finally { fs.closeSync(fd); }
      }
      return { written, error: null };
    } catch (e) { return { written, error: e.code }; }
  }`,
  spawnOrphans: `(marker, waitMs = 200) => {
    child_process.spawn('sh', ['-c', 'sleep ' + marker + ' & exec sleep ' + marker], { detached: true, stdio: 'ignore' }).unref();
    child_process.spawn('sleep', [marker], { stdio: 'ignore' }).unref();
    return new Promise((resolve) => setTimeout(resolve, waitMs));
  }`,
  hogMemory: `(count, mb) => {
    const fill = 'const held = []; for (let i = 0; i < ' + mb + '; i++) held.push(Buffer.alloc(1 << 20, 1)); setInterval(() => {}, 1000);';
    for (let i = 0; i < count; i++) child_process.spawn(process.execPath, ['-e', fill], { stdio: 'ignore' });
    return new Promise(() => {});
  }`,
  shareMemory: `(mb) => {
    const fill = 'import mmap, time\\nm = mmap.mmap(-1, ' + mb + ' << 20, flags=mmap.MAP_SHARED)\\nfor i in range(' + mb + '): m[i << 20:(i + 1) << 20] = bytes([1]) * (1 << 20)\\ntime.sleep(60)';
    child_process.spawn('python3', ['-c', fill], { stdio: 'ignore' });
    return new Promise(() => {});
  }`,
  spawnLater: `(marker, ms) => {
    // The bootstrap cannot help: its kill is gone, and the process comes after the call.
    process.kill = () => true;
    setTimeout(() => child_process.spawn('sleep', [marker], { detached: true, stdio: 'ignore' }).unref(), ms);
    child_process.spawn('sh', ['-c', 'sleep ' + marker + ' &'], { detached: true, stdio: 'ignore' }).unref();
  }`,
  openDescriptors: `() => ['self', '1'].flatMap((pid) => fs.readdirSync('/proc/' + pid + '/fd').map((fd) => {
    try { return pid + '/' + fd + ' ' + fs.readlinkSync('/proc/' + pid + '/fd/' + fd); } catch (e) { return pid + '/' + fd + ' ' + e.code; }
  }))`,
  spawnMany: `(count) => {
    const children = [];
    let refused = null;
    for (let i = 0; i < count && !refused; i++) {
      try { children.push(child_process.spawn('sleep', ['30'], { stdio: 'ignore' }).on('error', (e) => { refused ??= e.code; })); }
      catch (e) { refused = e.code; }
    }
    return new Promise((resolve) => setTimeout(() => resolve({ started: children.filter((c) => c.pid).length, refused }), 300));
  }`,
  returnFunction: "() => () => 1",
  hostname: "() => os.hostname()",
} as const;

export type TestFunction = keyof typeof functions;

const source = `import child_process from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
const id = crypto.randomUUID();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
${Object.values(functions)
  .map((fn) => `registry.push(${fn});`)
  .join("\n")}
`;

export interface TestBundle {
  /** The container folder. */
  dir: string;
  /** The bundle in it. */
  path: string;
  spec(name: TestFunction, overrides?: Partial<ContainerSpec>): ContainerSpec;
  remove(): void;
}

/** Writes the test bundle as a container folder in a fresh folder under the system temp dir. */
export async function writeTestBundle(options: Partial<ContainerFolderOptions> = {}): Promise<TestBundle> {
  const root = mkdtempSync(join(tmpdir(), "lockbox-bundle-"));
  chmodSync(root, 0o755); // as materializeBundle does: the sandbox's user must enter it
  const dir = join(root, "container");
  const path = await writeContainerFolder(dir, { code: source, ...options });
  return {
    dir,
    path,
    spec: (name, overrides = {}) => ({
      bundlePath: path,
      functionIndex: Object.keys(functions).indexOf(name),
      functionName: name,
      env: {},
      maskValues: [],
      timeoutMs: 10_000,
      network: "none",
      tmpMb: limits.tmpMbDefault,
      ...overrides,
    }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Output streams that keep what they receive. */
export function captureOutput(): ContainerOutput & { text(): { stdout: string; stderr: string } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: "", stderr: "" };
  stdout.on("data", (chunk: Buffer) => {
    chunks.stdout += chunk.toString();
  });
  stderr.on("data", (chunk: Buffer) => {
    chunks.stderr += chunk.toString();
  });
  return { stdout, stderr, text: () => ({ ...chunks }) };
}

/**
 * Host pids of live processes whose command line contains `marker` (a bundle folder, say, or a
 * pattern); with `spares: false`, without those started as spares (container-spares.ts), given
 * secrets since or not; with `below`, only processes below that one (a server's own containers,
 * when other test files run servers of their own beside it).
 */
export function processesWith(
  marker: string | RegExp,
  { spares = true, below }: { spares?: boolean; below?: number } = {},
): number[] {
  const pids =
    below === undefined
      ? readdirSync("/proc")
          .filter((entry) => /^\d+$/.test(entry))
          .map(Number)
      : descendantsOf(below);
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const named = typeof marker === "string" ? command.includes(marker) : marker.test(command);
      return named && (spares || !command.includes("--await-environment"));
    } catch {
      return false;
    }
  });
}
