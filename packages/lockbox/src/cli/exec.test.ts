import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTarget, cliModes } from "../test-support/cli-modes.js";

const canary = "canary-exec-5d1e-value";
const printEnv = [
  "node",
  "-e",
  "console.log(JSON.stringify({ a: process.env.A, b: process.env.B, c: process.env.C }))",
];

describe.each(cliModes)("lockbox exec ($name mode)", (mode) => {
  let lockbox: CliTarget;
  let files: string;

  beforeAll(async () => {
    lockbox = await mode.start();
    files = mkdtempSync(join(tmpdir(), "lockbox-exec-"));
    writeFileSync(join(files, ".env"), "C=from-dotenv\nB=dotenv-wins\n");
    expect((await lockbox.run(["secret", "create", "first", "A=first-a", "B=first-b"])).code).toBe(0);
    expect((await lockbox.run(["secret", "create", "second", "B=second-b"])).code).toBe(0);
    expect((await lockbox.run(["secret", "create", "masked", `TOKEN=${canary}`])).code).toBe(0);
  });
  afterAll(async () => {
    await lockbox.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it("runs the command with the secrets merged in order, later ones winning", async () => {
    const result = await lockbox.run([
      "exec",
      "--no-mask",
      "--secret",
      "first",
      "--secret",
      "second",
      "--",
      ...printEnv,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ a: "first-a", b: "second-b" });
  });

  it("reads a secret named twice once, and merges it at each place, the last one winning", async () => {
    const result = await lockbox.run([
      "exec",
      "--no-mask",
      ...["--secret", "first", "--secret", "second", "--secret", "first"],
      "--",
      ...printEnv,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ a: "first-a", b: "first-b" });
  });

  it("exits 2 on a malformed .env before running anything, naming the file and the line", async () => {
    const dotenv = join(files, "bad.env");
    writeFileSync(dotenv, `A=1\nB=2\nA=${canary}\n${canary}\n`);
    const ran = join(files, "ran");
    const result = await lockbox.run([
      "exec",
      "--secret",
      "first",
      "--from-dotenv",
      dotenv,
      "--",
      "node",
      "-e",
      `require("node:fs").writeFileSync(${JSON.stringify(ran)}, "")`,
    ]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `Error: Could not parse .env file at ${dotenv}: 'A' is assigned twice, on lines 1 and 3\n`,
    });
    expect(existsSync(ran)).toBe(false);
    writeFileSync(dotenv, `A=1\n${canary}\n`);
    const noEquals = await lockbox.run(["exec", "--from-dotenv", dotenv, "--", "true"]);
    expect(noEquals).toEqual({
      code: 2,
      stdout: "",
      stderr: `Error: Could not parse .env file at ${dotenv}: line 2 is not KEY=VALUE\n`,
    });
  });

  it("adds a .env file after the secrets", async () => {
    const dotenv = join(files, ".env");
    const result = await lockbox.run([
      "exec",
      "--no-mask",
      "--secret",
      "first",
      "--from-dotenv",
      dotenv,
      "--",
      ...printEnv,
    ]);
    expect(JSON.parse(result.stdout)).toEqual({ a: "first-a", b: "dotenv-wins", c: "from-dotenv" });
  });

  it("masks secret values in stdout and stderr unless --no-mask or LOCKBOX_NO_MASK=1", async () => {
    const script = "console.log('out', process.env.TOKEN); console.error('err', process.env.TOKEN)";
    const masked = await lockbox.run(["exec", "--secret", "masked", "--", "node", "-e", script]);
    expect(masked.stdout).toBe("out ***\n");
    expect(masked.stderr).toBe("err ***\n");
    const plain = await lockbox.run(["exec", "--secret", "masked", "--no-mask", "--", "node", "-e", script]);
    expect(plain.stdout).toBe(`out ${canary}\n`);
    const byVariable = await lockbox.run(["exec", "--secret", "masked", "--", "node", "-e", script], {
      env: { LOCKBOX_NO_MASK: "1" },
    });
    expect(byVariable.stdout).toBe(`out ${canary}\n`);
  });

  it("passes the exit code through, and 128 + the signal when the command is killed", async () => {
    expect((await lockbox.run(["exec", "--", "node", "-e", "process.exit(7)"])).code).toBe(7);
    const killed = await lockbox.run(["exec", "--", "node", "-e", "process.kill(process.pid, 'SIGTERM')"]);
    expect(killed.code).toBe(143);
  });

  it("fails before running anything when a secret is missing, and answers as a shell for a command it cannot run", async () => {
    const missing = await lockbox.run(["exec", "--secret", "nope", "--", "node", "-e", "console.log('ran')"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("Secret 'nope' not found");
    const unknown = await lockbox.run(["exec", "--", "no-such-command-here"]);
    expect(unknown).toMatchObject({
      code: 127,
      stderr: "lockbox exec: command not found: no-such-command-here\n",
    });
    const notExecutable = join(tmpdir(), `lockbox-not-executable-${process.pid}`);
    writeFileSync(notExecutable, "echo ran\n", { mode: 0o644 });
    try {
      expect(await lockbox.run(["exec", "--", notExecutable])).toMatchObject({
        code: 126,
        stderr: `lockbox exec: permission denied: ${notExecutable}\n`,
      });
    } finally {
      rmSync(notExecutable, { force: true });
    }
  });

  it("records the read in the audit log, without the value", async () => {
    const audit = await lockbox.run(["audit", "list", "--json"]);
    expect(audit.stdout).toContain('"secret.resolve"');
    expect(audit.stdout).not.toContain(canary);
  });
});

describe("lockbox exec and Lockbox's own credentials", () => {
  it("keeps LOCKBOX_TOKEN and LOCKBOX_MASTER_KEY from the command", async () => {
    const { runCli, tempDir } = await import("../test-support/run-cli.js");
    const home = tempDir("lockbox-exec-creds-");
    try {
      const key = Buffer.alloc(32, 7).toString("base64");
      const result = await runCli(
        [
          "exec",
          "--no-mask",
          "--",
          "node",
          "-e",
          "console.log(JSON.stringify([process.env.LOCKBOX_TOKEN, process.env.LOCKBOX_MASTER_KEY, process.env.KEPT]))",
        ],
        {
          env: {
            LOCKBOX_HOME: home.path,
            LOCKBOX_MASTER_KEY: key,
            LOCKBOX_TOKEN: "lbx_not_for_children",
            KEPT: "yes",
          },
        },
      );
      expect(JSON.parse(result.stdout)).toEqual([null, null, "yes"]);
    } finally {
      home.remove();
    }
  });
});
