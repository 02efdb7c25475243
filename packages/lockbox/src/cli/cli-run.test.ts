import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTarget, cliModes } from "../test-support/cli-modes.js";
import { userProject } from "../test-support/user-module.js";

const canary = "canary-run-5e0a-result-b71c";

const appModule = `
import { App, Secret } from "lockbox";
const app = new App();
const secrets = [Secret.fromName("run-keys")];
export const password = app.function({ secrets }, async () => process.env.MY_PASSWORD);
export const report = app.function({ secrets }, async () => ({
  length: process.env.MY_PASSWORD?.length,
  nested: [{ password: process.env.MY_PASSWORD }],
  encoded: Buffer.from(process.env.MY_PASSWORD ?? "").toString("base64"),
  buffer: Buffer.from(process.env.MY_PASSWORD ?? ""),
  bytes: new TextEncoder().encode(process.env.MY_PASSWORD ?? ""),
}));
export const someBytes = app.function(async () => new Uint8Array([104, 105]));
export const echo = app.function(async (...args: unknown[]) => args.map((arg) => [typeof arg, arg]));
export const greeting = app.function(async () => "hello");
export const nothing = app.function(async () => {
  console.log("printed by the function");
});
`;

// Top-level code that leaves a mark: it must not run when the file is refused.
const marker = (name: string) => `
import { writeFileSync } from "node:fs";
import { App } from "lockbox";
// A container on a server cannot write there: the mark is the caller's own import's.
try { writeFileSync("__PROJECT__/${name}", "top-level code ran"); } catch {}
`;

const files = {
  "app.ts": appModule,
  "caller.ts": `${marker("caller-ran")}
const app = new App();
export const f = app.function(async () => 1);
`,
  // Names localEntrypoint without calling it: passes the first check, refused after its import.
  "names-only.ts": `${marker("names-only-ran")}
export const note = "no localEntrypoint here";
`,
  "entry.ts": `${marker("entry-ran")}
const app = new App();
export const main = app.localEntrypoint(async (...args: string[]) => {
  console.log("entrypoint got " + JSON.stringify(args));
  return "not printed";
});
`,
};

describe.each(cliModes)("lockbox run ($name mode)", (mode) => {
  let lockbox: CliTarget;
  const project = userProject(files);
  const run = (args: string[]) =>
    lockbox.run(["run", ...args], {
      cwd: project.path,
      env: { LOCKBOX_CONTAINER: "process" },
      timeoutMs: 60_000,
    });

  beforeAll(async () => {
    lockbox = await mode.start();
    expect((await lockbox.run(["secret", "create", "run-keys", `MY_PASSWORD=${canary}`])).code).toBe(0);
  });
  afterAll(async () => {
    await lockbox.stop();
    project.remove();
  });

  describe("FILE::FUNCTION", () => {
    it("prints the returned value as JSON: a string quoted, an object indented, nothing for undefined", async () => {
      expect(await run(["app.ts::greeting"])).toEqual({ code: 0, stdout: '"hello"\n', stderr: "" });
      expect(await run(["app.ts::nothing"])).toEqual({
        code: 0,
        stdout: "printed by the function\n",
        stderr: "",
      });
      const echoed = await run(["app.ts::echo", "--", "a b"]);
      expect(echoed).toMatchObject({ code: 0, stderr: "" });
      expect(echoed.stdout).toBe(`${JSON.stringify([["string", "a b"]], null, 2)}\n`);
      // Bytes as base64 ("hi"), which the masker knows, not a list of numbers, which it would not.
      expect(await run(["app.ts::someBytes"])).toEqual({ code: 0, stdout: '"aGk="\n', stderr: "" });
    });

    it("masks every secret value in the printed result, as in the output; --no-mask shows it", async () => {
      const masked = await run(["app.ts::password"]);
      expect(masked).toEqual({ code: 0, stdout: '"***"\n', stderr: "" });
      const report = await run(["app.ts::report"]);
      expect(report.code).toBe(0);
      expect(JSON.parse(report.stdout)).toEqual({
        length: canary.length,
        nested: [{ password: "***" }],
        encoded: "***",
        // On a server the bytes themselves are masked: the caller prints them as base64 of \`***\`.
        buffer: mode.name === "server" ? "Kioq" : "***",
        bytes: mode.name === "server" ? "Kioq" : "***",
      });
      expect(masked.stdout + report.stdout + report.stderr).not.toContain(canary);
      expect(lockbox.serverOutput()).not.toContain(canary);
      // The positive control: the value is there to be masked.
      const shown = await run(["--no-mask", "app.ts::password"]);
      expect(shown).toEqual({ code: 0, stdout: `${JSON.stringify(canary)}\n`, stderr: "" });
    });

    it("passes arguments as strings, or as JSON with --json-args; options may come before --", async () => {
      const strings = await run(["app.ts::echo", "-e", "main", "--", "42", '{"a":1}', "-x"]);
      expect(JSON.parse(strings.stdout)).toEqual([
        ["string", "42"],
        ["string", '{"a":1}'],
        ["string", "-x"],
      ]);
      const parsed = await run(["app.ts::echo", "--json-args", "--", "42", '{"a":1}', '"text"', "null"]);
      expect(parsed).toMatchObject({ code: 0, stderr: "" });
      expect(JSON.parse(parsed.stdout)).toEqual([
        ["number", 42],
        ["object", { a: 1 }],
        ["string", "text"],
        ["object", null],
      ]);
    });

    it("exits 2 on an argument that is not JSON with --json-args, naming its position and not its text", async () => {
      const result = await run(["app.ts::echo", "--json-args", "--", "1", canary]);
      expect(result).toEqual({
        code: 2,
        stdout: "",
        stderr: `Error: Argument 2 is not JSON: with --json-args every argument must be JSON, as in 42, true, '"text"' or '{"a":1}'\n`,
      });
    });
  });

  describe("FILE (the local entrypoint)", () => {
    const refusal = (file: string) =>
      `Error: ${file} has no local entrypoint: mark one with app.localEntrypoint(fn), or run a function: lockbox run ${file}::NAME\n`;

    it("refuses a file whose code never calls app.localEntrypoint before any of its code runs", async () => {
      const result = await run(["caller.ts"]);
      expect(result).toEqual({ code: 2, stdout: "", stderr: refusal("caller.ts") });
      expect(existsSync(join(project.path, "caller-ran"))).toBe(false);
      // The same file runs (its top-level code too) when a function is named.
      expect(await run(["caller.ts::f"])).toEqual({ code: 0, stdout: "1\n", stderr: "" });
      expect(existsSync(join(project.path, "caller-ran"))).toBe(true);
      rmSync(join(project.path, "caller-ran"));
    });

    it("still refuses, after importing it, a file that names localEntrypoint but defines none", async () => {
      const result = await run(["names-only.ts"]);
      expect(result).toEqual({ code: 2, stdout: "", stderr: refusal("names-only.ts") });
      expect(existsSync(join(project.path, "names-only-ran"))).toBe(true);
      rmSync(join(project.path, "names-only-ran"));
    });

    it("runs the entrypoint here with the arguments, and prints nothing of its return value", async () => {
      const result = await run(["entry.ts", "--", "one", "two"]);
      expect(result).toEqual({ code: 0, stdout: 'entrypoint got ["one","two"]\n', stderr: "" });
      expect(existsSync(join(project.path, "entry-ran"))).toBe(true);
    });
  });
});
