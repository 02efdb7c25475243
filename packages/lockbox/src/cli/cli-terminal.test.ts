import { afterAll, describe, expect, it } from "vitest";
import { runCli, runCliInTerminal, tempDir } from "../test-support/run-cli.js";

describe("lockbox delete confirmation on a terminal", () => {
  const home = tempDir("lockbox-terminal-");
  const env = { LOCKBOX_HOME: home.path };
  afterAll(() => home.remove());

  const exists = async (name: string) => (await runCli(["secret", "show", name], { env })).code === 0;

  it("asks, and deletes on yes", async () => {
    await runCli(["secret", "create", "doomed", "A=1"], { env });
    const result = await runCliInTerminal(["secret", "delete", "doomed"], { env, stdin: "y\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "Are you sure you want to irrevocably delete the secret 'doomed' in environment 'main'? [y/N]",
    );
    expect(result.stdout).toContain("Deleted the secret 'doomed' in environment 'main'");
    expect(await exists("doomed")).toBe(false);
  });

  it.each([
    ["no", "n\n"],
    ["an empty answer", "\n"],
    ["end of input", "\u0004"],
  ])("aborts with exit 1 on %s", async (_, answer) => {
    await runCli(["secret", "create", "kept", "A=1", "--force"], { env });
    const result = await runCliInTerminal(["secret", "delete", "kept"], { env, stdin: answer });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Aborted: nothing was deleted");
    expect(await exists("kept")).toBe(true);
  });
});
