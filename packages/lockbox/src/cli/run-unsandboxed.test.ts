import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, runProcess, tempDir } from "../test-support/run-cli.js";
import { userProject } from "../test-support/user-module.js";

const userModule = `
import { writeFileSync } from "node:fs";
import { App } from "lockbox";
const app = new App();
export const touch = app.function(async () => writeFileSync("__PROJECT__/ran", "the function ran"));
`;

// As root, a function never runs unsandboxed unless LOCKBOX_CONTAINER=process says so: here node
// lives in a folder the sandbox's user cannot enter, so no sandbox can start.
describe.runIf(process.getuid?.() === 0)("lockbox run as root, where no sandbox can start", () => {
  const project = userProject({ "app.ts": userModule });
  const home = tempDir("lockbox-home-");
  const closed = tempDir("lockbox-closed-node-");
  const node = join(closed.path, "bin", "node");

  beforeAll(() => {
    mkdirSync(join(closed.path, "bin"));
    chmodSync(closed.path, 0o700);
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node); // another filesystem
      chmodSync(node, 0o755);
    }
  });

  afterAll(() => {
    for (const folder of [project, home, closed]) folder.remove();
  });

  const run = (env: Record<string, string> = {}) =>
    runProcess(node, [cliPath, "run", "app.ts::touch"], {
      cwd: project.path,
      env: { LOCKBOX_HOME: home.path, ...env },
      timeoutMs: 30_000,
    });

  it("exits 1 naming the cause, and runs no function code", async () => {
    const result = await run();
    expect(result.stderr).toContain(
      `Functions cannot run in a sandbox here: the sandbox runs as uid 2147418112 on the host, which cannot enter '${closed.path}' to reach node (${node})`,
    );
    expect(result.stderr).toContain("set LOCKBOX_CONTAINER=process");
    expect(result.code).toBe(1);
    expect(existsSync(join(project.path, "ran"))).toBe(false);
  });

  // The positive control: the same run, told to use plain processes, does run the function.
  it("runs it when LOCKBOX_CONTAINER=process asks for plain processes", async () => {
    const result = await run({ LOCKBOX_CONTAINER: "process" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(join(project.path, "ran"))).toBe(true);
  });
});
