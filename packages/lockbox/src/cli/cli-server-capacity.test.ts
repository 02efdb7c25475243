import { afterAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../test-support/run-cli.js";

describe("lockbox server's capacity options", () => {
  const home = tempDir("lockbox-capacity-");
  afterAll(() => home.remove());

  it.each([
    ["--max-containers 0", ["--max-containers", "0"], {}, "--max-containers"],
    ["--max-containers 2.5", ["--max-containers", "2.5"], {}, "--max-containers"],
    ["--max-queued-calls -1", ["--max-queued-calls=-1"], {}, "--max-queued-calls"],
    ["LOCKBOX_MAX_CONTAINERS=many", [], { LOCKBOX_MAX_CONTAINERS: "many" }, "LOCKBOX_MAX_CONTAINERS"],
  ])("exits 2 for %s with one clear line, starting nothing", async (_, args, extra, named) => {
    const env = { LOCKBOX_HOME: home.path, ...extra };
    const result = await runCli(["server", "--port", "0", ...args], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^Error: Invalid configuration: ${named} must be a whole number from 1 to \\d+\n$`),
    );
    expect(result.stdout).toBe("");
  });

  it("documents both options and their defaults in lockbox server --help", async () => {
    const help = await runCli(["server", "--help"]);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, " ");
    expect(text).toContain("--max-containers <count> containers of function calls at most");
    expect(text).toContain(
      "(default: 4 a core, at most as many as fit in 3/4 of the memory at 512 MiB each)",
    );
    expect(text).toContain("(default: 4 × max-containers) (env: LOCKBOX_MAX_QUEUED_CALLS)");
  });
});
