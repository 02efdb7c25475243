import { join } from "node:path";
import { databaseFileName } from "@lockbox/server";
import { openTempLockbox } from "@lockbox/server/test-support";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTarget, cliModes } from "../test-support/cli-modes.js";

const canary = "canary-2d6a-admin-f417";

describe.each(cliModes)("lockbox environment, workspace, token and audit ($name mode)", (mode) => {
  let lockbox: CliTarget;

  beforeAll(async () => {
    lockbox = await mode.start();
  });
  afterAll(() => lockbox.stop());

  it("creates, lists and deletes environments, asking first", async () => {
    const created = await lockbox.run(["environment", "create", "staging"]);
    expect(created).toMatchObject({ code: 0, stdout: "Created environment 'staging'\n" });
    await lockbox.run(["secret", "create", "in-staging", "A=1", "-e", "staging"]);
    const list = await lockbox.run(["environment", "list", "--json"]);
    expect(JSON.parse(list.stdout).map((environment: { name: string }) => environment.name)).toEqual(
      expect.arrayContaining(["main", "staging"]),
    );
    expect((await lockbox.run(["environment", "list"])).stdout).toMatch(/^Name +Created at +Created by\n/);
    const refused = await lockbox.run(["environment", "delete", "staging"]);
    expect(refused.code).toBe(2); // a usage error: --yes is needed without a terminal
    expect(refused.stderr).toContain("pass --yes");
    const deleted = await lockbox.run(["environment", "delete", "staging", "--yes"]);
    expect(deleted).toMatchObject({ code: 0, stdout: "Deleted environment 'staging'\n" });
    expect((await lockbox.run(["secret", "list", "-e", "staging"])).code).toBe(1);
  });

  it("exits 2 for an invalid environment name or deleting main, 1 for a duplicate", async () => {
    expect((await lockbox.run(["environment", "create", "-bad"])).code).toBe(2);
    expect((await lockbox.run(["environment", "create", "main"])).code).toBe(1);
    const main = await lockbox.run(["environment", "delete", "main", "-y"]);
    expect(main).toMatchObject({ code: 2, stderr: "Error: The 'main' environment cannot be deleted\n" });
  });

  it("creates a workspace and prints its admin token once", async () => {
    const created = await lockbox.run(["workspace", "create", "team-b"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      /^Created workspace 'team-b'\nAdmin token for it \(shown once, keep it safe\): lbx_\S+\n$/,
    );
    const list = JSON.parse((await lockbox.run(["workspace", "list", "--json"])).stdout);
    expect(list.map((workspace: { name: string }) => workspace.name)).toEqual(
      expect.arrayContaining(["default", "team-b"]),
    );
    expect((await lockbox.run(["workspace", "create", "team-b"])).code).toBe(1);
  });

  it("creates tokens, lists them without values, and revokes them", async () => {
    const created = await lockbox.run([
      "token",
      "create",
      "--role",
      "viewer",
      "--name",
      "ci",
      "--expires-in",
      "3600",
    ]);
    expect(created.code).toBe(0);
    const value = /^Token \(shown once, keep it safe\): (lbx_\S+)$/m.exec(created.stdout)?.[1];
    expect(value).toBeDefined();
    const tokens = JSON.parse((await lockbox.run(["token", "list", "--json"])).stdout);
    const ci = tokens.find((token: { name: string }) => token.name === "ci");
    expect(ci).toMatchObject({
      role: "viewer",
      workspace: "default",
      revokedAt: null,
      expiresAt: expect.any(String),
    });
    const table = await lockbox.run(["token", "list"]);
    expect(table.stdout + JSON.stringify(tokens)).not.toContain(value);
    const revoked = await lockbox.run(["token", "revoke", ci.id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked token '${ci.id}'\n` });
    expect((await lockbox.run(["token", "list"])).stdout).toMatch(new RegExp(`${ci.id} .* revoked\\n`));
  });

  it("exits 2 on a bad role or lifetime, 1 on an unknown token", async () => {
    const role = await lockbox.run(["token", "create", "--role", "owner"]);
    expect(role).toMatchObject({
      code: 2,
      stderr: "Error: Invalid role 'owner': use one of viewer, invoker, developer, admin\n",
    });
    expect((await lockbox.run(["token", "create", "--expires-in", "soon"])).code).toBe(2);
    expect((await lockbox.run(["token", "revoke", "tk-unknown"])).code).toBe(1);
  });

  it("lists the audit log without values", async () => {
    await lockbox.run(["secret", "create", "audited", `A=${canary}`]);
    await lockbox.run(["secret", "show", "audited", "--reveal"]);
    const table = await lockbox.run(["audit", "list"]);
    expect(table.stdout).toMatch(/^At +Actor +Action +Environment +Secret +Target +Version\n/);
    expect(table.stdout).toMatch(/secret\.reveal +main +audited +- +1\n/);
    const json = await lockbox.run(["audit", "list", "--json", "--limit", "2"]);
    expect(JSON.parse(json.stdout)).toHaveLength(2);
    expect(table.stdout + json.stdout).not.toContain(canary);
  });

  it.runIf(mode.name === "embedded")("shows a call's target in the audit log, as text and JSON", async () => {
    // The entry a call through a server leaves, written by the store as the server writes it.
    const box = await openTempLockbox({ dataDir: lockbox.dataDir });
    try {
      await box.store.transaction((tx) =>
        tx.audit.append({
          at: new Date().toISOString(),
          workspaceId: box.workspaceId,
          actor: "caller-bot",
          tokenId: null,
          action: "function.call",
          environment: "main",
          secret: null,
          version: 3,
          source: null,
          userAgent: null,
          target: "billing/charge",
        }),
      );
    } finally {
      await box.close();
    }
    const table = await lockbox.run(["audit", "list", "--limit", "1"]);
    expect(table.stdout).toMatch(/caller-bot +function\.call +main +- +billing\/charge +3\n$/);
    const json = await lockbox.run(["audit", "list", "--json", "--limit", "1"]);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        action: "function.call",
        secret: null,
        target: "billing/charge",
        version: 3,
      }),
    ]);
    expect((await lockbox.run(["audit", "verify"])).code).toBe(0);
  });

  it("verifies the audit log's chain, and exits 1 naming what was changed", async () => {
    await lockbox.run(["secret", "create", "verified", `A=${canary}`]);
    await lockbox.run(["secret", "show", "verified", "--reveal"]);
    const intact = await lockbox.run(["audit", "verify"]);
    expect(intact.code).toBe(0);
    const [, count] =
      /^The audit log is intact: (\d+) entries, each linked to the one before\.\n/.exec(intact.stdout) ?? [];
    expect(intact.stdout).toMatch(new RegExp(`\nLast entry: ${count}, hash [0-9a-f]{64}\n$`));

    const db = new SqliteDatabase(join(lockbox.dataDir, databaseFileName));
    db.prepare(
      "update audit_entries set action = 'secret.list' where secret = 'verified' and action = 'secret.reveal'",
    ).run();
    db.close();
    const broken = await lockbox.run(["audit", "verify", "--json"]);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      entries: Number(count),
      problems: [`entry ${count} was changed after it was written`],
    });
  });

  it.runIf(mode.name === "server")("gives each token only what its role allows", async () => {
    await lockbox.run(["secret", "create", "guarded", `A=${canary}`]);
    const created = await lockbox.run(["token", "create", "--role", "viewer", "--json"]);
    const viewer = { LOCKBOX_TOKEN: JSON.parse(created.stdout).value };
    expect((await lockbox.run(["secret", "list"], { env: viewer })).stdout).toContain("guarded");
    const reveal = await lockbox.run(["secret", "show", "guarded", "--reveal"], { env: viewer });
    expect(reveal.code).toBe(1);
    expect(reveal.stderr).toMatch(/^Error: A viewer token cannot read secret values/);
    expect(reveal.stdout + reveal.stderr).not.toContain(canary);
    const workspace = await lockbox.run(["workspace", "create", "team-c"]);
    const admin = { LOCKBOX_TOKEN: /: (lbx_\S+)$/m.exec(workspace.stdout)?.[1] ?? "" };
    expect((await lockbox.run(["secret", "list", "--json"], { env: admin })).stdout).toBe("[]\n");
  });

  it.runIf(mode.name === "server")("creates an invoker token that may list but never reveal", async () => {
    await lockbox.run(["secret", "create", "used-not-read", `A=${canary}`]);
    const created = await lockbox.run(["token", "create", "--role", "invoker", "--name", "caller"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created invoker token 'caller' \(id \S+\) for workspace 'default'\n/);
    const value = /^Token \(shown once, keep it safe\): (lbx_\S+)$/m.exec(created.stdout)?.[1] ?? "";
    const tokens = JSON.parse((await lockbox.run(["token", "list", "--json"])).stdout);
    expect(tokens.find((token: { name: string }) => token.name === "caller")).toMatchObject({
      role: "invoker",
    });
    const invoker = { LOCKBOX_TOKEN: value };
    const list = await lockbox.run(["secret", "list"], { env: invoker });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("used-not-read");
    const shown = await lockbox.run(["secret", "show", "used-not-read"], { env: invoker });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("A");
    for (const args of [
      ["secret", "show", "used-not-read", "--reveal"],
      ["secret", "export", "used-not-read"],
      ["exec", "--secret", "used-not-read", "--", "true"],
    ]) {
      const refused = await lockbox.run(args, { env: invoker });
      expect(refused.code, args.join(" ")).toBe(1);
      expect(refused.stderr).toBe(
        "Error: An invoker token cannot read secret values; it needs the developer role\n",
      );
      expect(refused.stdout + refused.stderr).not.toContain(canary);
    }
    const help = await lockbox.run(["token", "create", "--help"]);
    expect(help.stdout).toContain("admin, developer, invoker or viewer");
  });

  it.runIf(mode.name === "server")(
    "limits a token to the environment given with -e, as every command spells it",
    async () => {
      await lockbox.run(["environment", "create", "token-scope"]);
      for (const flag of ["-e", "--env", "--environment"]) {
        const created = await lockbox.run(["token", "create", flag, "token-scope", "--json"]);
        expect(created.code).toBe(0);
        expect(JSON.parse(created.stdout)).toMatchObject({ environment: "token-scope" });
      }
      const help = await lockbox.run(["token", "create", "--help"]);
      expect(help.stdout).toContain("-e, --env <name>");
      expect(help.stdout).not.toContain("--environment");
    },
  );

  it("never lets the canary into the server's logs", () => {
    expect(lockbox.serverOutput()).not.toContain(canary);
  });
});
