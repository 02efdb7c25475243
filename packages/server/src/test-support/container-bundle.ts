import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { ContainerOutput, ContainerSpec } from "../containers/container-types.js";

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
  returnFunction: "() => () => 1",
  hostname: "() => os.hostname()",
} as const;

export type TestFunction = keyof typeof functions;

const source = `import fs from "node:fs";
import os from "node:os";
const id = crypto.randomUUID();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
${Object.values(functions)
  .map((fn) => `registry.push(${fn});`)
  .join("\n")}
`;

export interface TestBundle {
  dir: string;
  path: string;
  spec(name: TestFunction, overrides?: Partial<ContainerSpec>): ContainerSpec;
  remove(): void;
}

/** Writes the test bundle into a fresh folder under the system temp dir (mode 0700, as mkdtemp makes it). */
export function writeTestBundle(): TestBundle {
  const dir = mkdtempSync(join(tmpdir(), "lockbox-bundle-"));
  const path = join(dir, "bundle.mjs");
  writeFileSync(path, source);
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
      ...overrides,
    }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
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
 * Host pids of live processes whose command line contains `marker` (a bundle folder, say); with
 * `spares: false`, without those started as spares (container-spares.ts), given secrets since or not.
 */
export function processesWith(marker: string, { spares = true } = {}): number[] {
  const pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  return pids.map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return command.includes(marker) && (spares || !command.includes("--await-environment"));
    } catch {
      return false;
    }
  });
}
