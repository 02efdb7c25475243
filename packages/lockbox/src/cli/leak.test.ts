import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, startCliServer } from "../test-support/cli-server.js";
import { runCli } from "../test-support/run-cli.js";

// A value that must never be found where values do not belong: files at rest, logs, errors.
const canary = `CANARY-${Math.random().toString(36).slice(2)}-leak-hunt`;
const forms = [canary, Buffer.from(canary).toString("base64"), Buffer.from(canary).toString("hex")];

let root: string;
let server: CliServer;
const adminToken = "lbx_leak_hunt_bootstrap_token";

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "lockbox-leak-"));
  server = await startCliServer({
    LOCKBOX_HOME: join(root, "server-data"),
    LOCKBOX_BOOTSTRAP_TOKEN: adminToken,
    LOCKBOX_LOG_LEVEL: "trace",
  });
});

afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function expectNoCanary(text: string, where: string) {
  for (const form of forms) expect(text.includes(form), `${where} holds the canary`).toBe(false);
}

describe.each(["embedded", "server"] as const)("a canary value through every CLI path (%s mode)", (mode) => {
  const outputs: string[] = [];
  let dataDir: string;

  function lockbox(args: string[], stdin?: string) {
    const env: Record<string, string> = { LOCKBOX_HOME: dataDir };
    if (mode === "server") Object.assign(env, { LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: adminToken });
    return runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) });
  }

  /** Runs a command whose output must not reveal any value. */
  async function quiet(args: string[], stdin?: string) {
    const result = await lockbox(args, stdin);
    outputs.push(result.stdout, result.stderr);
    return result;
  }

  beforeAll(() => {
    dataDir = join(root, `${mode}-home`);
  });

  it("writes the canary through arguments, stdin, .env and JSON files, update and rollback", async () => {
    const files = mkdtempSync(join(root, "files-"));
    writeFileSync(join(files, ".env"), `FROM_DOTENV=${canary}\n`);
    writeFileSync(join(files, "values.json"), JSON.stringify({ FROM_JSON: canary }));
    expect((await quiet(["secret", "create", "leak", `FROM_ARG=${canary}`])).code).toBe(0);
    expect((await quiet(["secret", "create", "leak-stdin", "FROM_STDIN=-"], `${canary}\n`)).code).toBe(0);
    expect((await quiet(["secret", "create", "leak-files", "--from-dotenv", join(files, ".env")])).code).toBe(
      0,
    );
    expect(
      (await quiet(["secret", "create", "leak-files", "--force", "--from-json", join(files, "values.json")]))
        .code,
    ).toBe(0);
    expect((await quiet(["secret", "update", "leak", `SECOND=${canary}`, "--unset", "FROM_ARG"])).code).toBe(
      0,
    );
    expect((await quiet(["secret", "rollback", "leak", "1"])).code).toBe(0);
    for (const args of [
      ["list"],
      ["list", "--json"],
      ["show", "leak"],
      ["show", "leak", "--json"],
      ["history", "leak"],
    ]) {
      expect((await quiet(["secret", ...args])).code).toBe(0);
    }
  });

  it("keeps the canary out of every error", async () => {
    const failures = [
      await quiet(["secret", "create", "bad name!", `A=${canary}`]),
      await quiet(["secret", "create", "leak-no-equals", canary]),
      await quiet(["secret", "create", "leak-bad-key", `1BAD=${canary}`]),
      await quiet(["secret", "create", "leak", `A=${canary}`]),
      await quiet(["secret", "update", "missing-secret", `A=${canary}`]),
      await quiet(["secret", "create", "leak-long", `A=${canary.repeat(2000)}`]),
    ];
    for (const failure of failures) expect(failure.code).not.toBe(0);
  });

  it("reveals the canary only when asked", async () => {
    const revealed = await lockbox(["secret", "show", "leak", "--reveal"]);
    expect(revealed.stdout).toContain(canary);
    expect((await lockbox(["secret", "export", "leak-files", "--format", "json"])).stdout).toContain(canary);
    for (const [index, text] of outputs.entries()) expectNoCanary(text, `output #${index}`);
    const audit = await lockbox(["audit", "list", "--json"]);
    expect(audit.code).toBe(0);
    expectNoCanary(audit.stdout, "the audit log");
  });
});

describe("after every path ran", () => {
  it("finds the canary in no file of either data folder and in no server log line", async () => {
    const files = [...filesUnder(join(root, "server-data")), ...filesUnder(join(root, "embedded-home"))];
    expect(files.some((file) => file.endsWith("lockbox.db-wal"))).toBe(true); // scanned while the server runs
    for (const file of files) expectNoCanary(readFileSync(file, "latin1"), file);
    await server.stop(); // flushes every log line the server wrote
    const logs = server.output();
    expect(logs).toContain('"msg":"request completed"'); // the log was on, at trace level
    expectNoCanary(logs, "the server log");
  });
});
