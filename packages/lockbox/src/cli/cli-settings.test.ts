import { writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { type Setting, settings } from "@lockbox/server/settings";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../test-support/run-cli.js";

describe("lockbox settings and usage (embedded mode)", () => {
  const home = tempDir("lockbox-settings-");
  const env = { LOCKBOX_HOME: home.path };
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { env: { ...env, ...extra } });

  beforeAll(async () => {
    for (const name of ["from-flag", "from-var", "from-profile"]) {
      expect((await run(["environment", "create", name])).code).toBe(0);
    }
  });
  afterAll(() => home.remove());

  it("picks the environment from -e, then LOCKBOX_ENVIRONMENT, then the profile, then main", async () => {
    const title = async (args: string[], extra: Record<string, string> = {}) =>
      /environment '([^']+)'/.exec((await run(["secret", "list", ...args], extra)).stdout)?.[1];
    writeFileSync(join(home.path, "profile.json"), JSON.stringify({ environment: "from-profile" }));
    const variable = { LOCKBOX_ENVIRONMENT: "from-var" };
    expect(await title(["-e", "from-flag"], variable)).toBe("from-flag");
    expect(await title([], variable)).toBe("from-var");
    expect(await title([])).toBe("from-profile");
    writeFileSync(join(home.path, "profile.json"), "{}");
    expect(await title([])).toBe("main");
  });

  it("exits 2 on a profile file that does not parse, naming it", async () => {
    const path = join(home.path, "profile.json");
    writeFileSync(path, "{ not json");
    const result = await run(["secret", "list"]);
    expect(result).toMatchObject({
      code: 2,
      stderr: `Error: Could not parse the profile file at ${path}: it is not valid JSON\n`,
    });
    writeFileSync(path, "{}");
  });

  it("records the OS user as the creator in embedded mode", async () => {
    await run(["secret", "create", "mine", "A=1"]);
    const [secret] = JSON.parse((await run(["secret", "list", "--json"])).stdout);
    expect(secret.createdBy).toBe(userInfo().username);
  });

  it("refuses a master key that is not the store's", async () => {
    const otherKey = Buffer.alloc(32, 7).toString("base64");
    const result = await run(["secret", "list"], { LOCKBOX_MASTER_KEY: otherKey });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Error: The master key from LOCKBOX_MASTER_KEY .* is not the key this store was set up with/,
    );
  });

  it("needs LOCKBOX_TOKEN with LOCKBOX_SERVER_URL, and says when the server cannot be reached", async () => {
    const noToken = await run(["secret", "list"], { LOCKBOX_SERVER_URL: "http://127.0.0.1:9" });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^Error: .*set LOCKBOX_TOKEN/);
    const unreachable = await run(["secret", "list"], {
      LOCKBOX_SERVER_URL: "http://127.0.0.1:9",
      LOCKBOX_TOKEN: "x",
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^Error: Cannot reach the Lockbox server at http:\/\/127\.0\.0\.1:9/);
  });

  it("lists every LOCKBOX_* variable with its description, the profile file and examples in --help", async () => {
    const help = await run(["--help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    const text = help.stdout.replace(/\s+/g, " ");
    for (const setting of Object.values(settings) as Setting<unknown>[]) {
      expect(help.stdout).toMatch(new RegExp(`\\n  ${setting.variable} +\\S`));
      expect(text).toContain(setting.description);
    }
    expect(help.stdout).toContain("$LOCKBOX_HOME/profile.json (default ~/.lockbox/profile.json)");
    expect(help.stdout).toContain('{"environment": "staging"}');
    const examples = help.stdout.slice(help.stdout.indexOf("\nExamples:\n"));
    expect(examples.match(/\n {2}\$ lockbox /g)).toHaveLength(3);
    const runHelp = await run(["run", "--help"]);
    expect(runHelp.stdout).toMatch(/passed as strings\s+unless --json-args/);
    expect(runHelp.stdout).toMatch(/--json-args +parse each argument as JSON/);
  });

  it("exits 0 for help and version, 2 for usage errors", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["server", "secret", "environment", "workspace", "token", "audit"]) {
      expect(help.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    }
    expect((await run(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const unknown = await run(["secrets"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("Error: unknown command 'secrets' (Did you mean secret?)\n");
    expect((await run(["secret", "list", "--bogus"])).code).toBe(2);
    expect((await run(["secret", "show"])).stderr).toMatch(/^Error: missing required argument 'name'/);
    expect((await run(["secret"])).code).toBe(2);
  });
});
