import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTarget, cliModes } from "../test-support/cli-modes.js";
import { hasKubectl, kubectlRead } from "../test-support/kubectl.js";

const canary = "canary-4b2f-secret-81c0";

describe.each(cliModes)("lockbox secret ($name mode)", (mode) => {
  let lockbox: CliTarget;
  let counter = 0;
  const fresh = () => `secret-${++counter}`;
  const create = async (...pairs: string[]) => {
    const name = fresh();
    expect((await lockbox.run(["secret", "create", name, ...pairs])).code).toBe(0);
    return name;
  };
  const revealed = async (name: string) =>
    JSON.parse((await lockbox.run(["secret", "show", name, "--reveal", "--json"])).stdout).values;

  beforeAll(async () => {
    lockbox = await mode.start();
  });
  afterAll(() => lockbox.stop());

  describe("list", () => {
    it("says how to create a secret when there is none", async () => {
      await lockbox.run(["environment", "create", "empty"]);
      const result = await lockbox.run(["secret", "list", "-e", "empty"]);
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout).toMatch(
        /^No secrets in environment 'empty' yet\. Create one with: lockbox secret create/,
      );
      expect(JSON.parse((await lockbox.run(["secret", "list", "-e", "empty", "--json"])).stdout)).toEqual([]);
    });

    it("prints a table newest first, and exactly name, createdAt, createdBy, lastUsedAt with --json", async () => {
      const older = await create(`A=${canary}`);
      const newer = await create("B=2");
      const table = await lockbox.run(["secret", "list"]);
      expect(table.stdout).toMatch(
        /^Secrets in environment 'main'\n\nName +Created at +Created by +Last used at\n/,
      );
      expect(table.stdout.indexOf(newer)).toBeLessThan(table.stdout.indexOf(older));
      expect(table.stdout).toMatch(new RegExp(`${older} .* -\\n`));
      const json = await lockbox.run(["secret", "list", "--json"]);
      expect(json.stderr).toBe("");
      const entries = JSON.parse(json.stdout);
      expect(entries.find((entry: { name: string }) => entry.name === older)).toEqual({
        name: older,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        createdBy: expect.any(String),
        lastUsedAt: null,
      });
      expect(table.stdout + json.stdout).not.toContain(canary);
    });
  });

  describe("show", () => {
    it("shows keys and version, and values only with --reveal", async () => {
      const name = await create(`TOKEN=${canary}`, "USER=bob");
      const plain = await lockbox.run(["secret", "show", name]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(/Version: +1\n/);
      expect(plain.stdout).toMatch(/Keys:\n {2}TOKEN\n {2}USER\n$/);
      const json = await lockbox.run(["secret", "show", name, "--json"]);
      expect(JSON.parse(json.stdout)).toMatchObject({ name, version: 1, keys: ["TOKEN", "USER"] });
      expect(plain.stdout + json.stdout).not.toContain(canary);
      const shown = await lockbox.run(["secret", "show", name, "--reveal"]);
      expect(shown.stdout).toContain(`Values:\n  TOKEN=${canary}\n  USER=bob\n`);
    });

    it("exits 1 for a missing secret", async () => {
      const result = await lockbox.run(["secret", "show", "no-such-secret"]);
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toBe("Error: Secret 'no-such-secret' not found in environment 'main'\n");
    });
  });

  describe("update", () => {
    it("merges keys and removes --unset ones", async () => {
      const name = await create("KEEP=1", "DROP=2", "CHANGE=3");
      const result = await lockbox.run(["secret", "update", name, "CHANGE=4", "ADD=5", "--unset", "DROP"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("version 2");
      expect(await revealed(name)).toEqual({ KEEP: "1", CHANGE: "4", ADD: "5" });
    });

    it("exits 2 without any change, on a pair without '=', and on --unset KEY=VALUE, never echoing values", async () => {
      const name = await create("A=1");
      const none = await lockbox.run(["secret", "update", name]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/^Error: Nothing to update/);
      const noEquals = await lockbox.run(["secret", "update", name, canary]);
      expect(noEquals.code).toBe(2);
      const unsetPair = await lockbox.run(["secret", "update", name, "--unset", `A=${canary}`]);
      expect(unsetPair.code).toBe(2);
      expect(noEquals.stderr + unsetPair.stderr).not.toContain(canary);
      expect(await revealed(name)).toEqual({ A: "1" });
    });

    it("exits 2 on a key given twice, naming the key and neither value, and changes nothing", async () => {
      const name = await create("A=1");
      const twice = await lockbox.run(["secret", "update", name, `B=${canary}`, "C=3", `B=${canary}2`]);
      expect(twice).toMatchObject({
        code: 2,
        stdout: "",
        stderr: "Error: Key 'B' is given twice: give each key once\n",
      });
      expect(await revealed(name)).toEqual({ A: "1" });
    });

    it("exits 2 on --unset of a key the secret does not have, naming the missing keys, and changes nothing", async () => {
      const name = await create("A=1", "B=2");
      const result = await lockbox.run([
        "secret",
        "update",
        name,
        `A=${canary}`,
        ...["--unset", "B", "--unset", "NOPE", "--unset", "NOR_THIS"],
      ]);
      expect(result).toMatchObject({
        code: 2,
        stdout: "",
        stderr: `Error: Secret '${name}' has no key(s): NOPE, NOR_THIS\n`,
      });
      expect(await revealed(name)).toEqual({ A: "1", B: "2" });
      const history = JSON.parse((await lockbox.run(["secret", "history", name, "--json"])).stdout);
      expect(history).toHaveLength(1);
    });

    it("exits 2 on a key both set and --unset, naming the key and not the value", async () => {
      const name = await create("A=1");
      const result = await lockbox.run(["secret", "update", name, `A=${canary}`, "--unset", "A"]);
      expect(result).toMatchObject({
        code: 2,
        stdout: "",
        stderr: "Error: Key 'A' cannot be both set and unset\n",
      });
      expect(await revealed(name)).toEqual({ A: "1" });
    });
  });

  describe("delete", () => {
    it("refuses without --yes when stdin is not a terminal, and deletes with --yes", async () => {
      const name = await create("A=1");
      const refused = await lockbox.run(["secret", "delete", name], { stdin: "y\n" });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^Error: Not deleting the secret '.*' in environment 'main' without confirmation.*--yes/,
      );
      expect((await lockbox.run(["secret", "show", name])).code).toBe(0);
      const deleted = await lockbox.run(["secret", "delete", name, "--yes"]);
      expect(deleted).toMatchObject({
        code: 0,
        stdout: `Deleted the secret '${name}' in environment 'main'\n`,
      });
      expect((await lockbox.run(["secret", "show", name])).code).toBe(1);
    });

    it("exits 1 for a missing secret unless --allow-missing", async () => {
      const missing = await lockbox.run(["secret", "delete", "gone", "-y"]);
      expect(missing).toMatchObject({
        code: 1,
        stderr: "Error: Secret 'gone' not found in environment 'main'\n",
      });
      const allowed = await lockbox.run(["secret", "delete", "gone", "-y", "--allow-missing"]);
      expect(allowed.code).toBe(0);
    });
  });

  describe("history and rollback", () => {
    it("lists versions, newest first, with added, removed and changed keys, never values", async () => {
      const name = await create("A=1", "B=2");
      await lockbox.run(["secret", "update", name, `A=${canary}`, "C=3", "--unset", "B"]);
      const table = await lockbox.run(["secret", "history", name]);
      expect(table.stdout).toMatch(/\n1 .* \+A \+B\n/);
      expect(table.stdout).toMatch(/\n2 .* \+C -B ~A\n/);
      const json = JSON.parse((await lockbox.run(["secret", "history", name, "--json"])).stdout);
      expect(json.map((version: { version: number }) => version.version)).toEqual([2, 1]);
      expect(json[0]).toMatchObject({ added: ["C"], removed: ["B"], changed: ["A"] });
      expect(table.stdout + JSON.stringify(json)).not.toContain(canary);
    });

    it("rolls back to an old version as a new version", async () => {
      const name = await create("A=1");
      await lockbox.run(["secret", "update", name, "A=2"]);
      const result = await lockbox.run(["secret", "rollback", name, "1"]);
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout).toContain("now version 3");
      expect(await revealed(name)).toEqual({ A: "1" });
      const history = await lockbox.run(["secret", "history", name]);
      expect(history.stdout).toContain("(rollback to version 1) ~A");
    });

    it("exits 2 when VERSION is not a positive whole number, and 1 when it does not exist", async () => {
      const name = await create("A=1");
      for (const version of ["0", "-1", "1.5", "two"]) {
        const result = await lockbox.run(["secret", "rollback", name, version]);
        expect(result.code, version).toBe(2);
      }
      expect((await lockbox.run(["secret", "rollback", name, "9"])).code).toBe(1);
    });
  });

  describe("export", () => {
    it("prints dotenv by default, JSON and a Kubernetes manifest", async () => {
      const name = await create(`TOKEN=${canary}`);
      const dotenv = await lockbox.run(["secret", "export", name]);
      expect(dotenv).toMatchObject({ code: 0, stdout: `TOKEN='${canary}'\n`, stderr: "" });
      const json = await lockbox.run(["secret", "export", name, "--format", "json"]);
      expect(JSON.parse(json.stdout)).toEqual({ TOKEN: canary });
      const k8s = await lockbox.run(["secret", "export", name, "--format", "k8s"]);
      expect(k8s.stdout).toContain("kind: Secret");
      expect(k8s.stdout).toContain(`TOKEN: ${Buffer.from(canary).toString("base64")}`);
    });

    it.runIf(hasKubectl)(
      "prints a manifest kubectl reads as a Secret whose data decode to the values",
      async () => {
        const values = { ON: canary, y: `${canary}\nsecond line`, PLAIN: "" };
        const name = await create(...Object.entries(values).map(([key, value]) => `${key}=${value}`));
        await lockbox.run(["secret", "update", name, `PLAIN=${canary}-2`]);
        const result = await lockbox.run(["secret", "export", name, "--format", "k8s"]);
        expect(result).toMatchObject({ code: 0, stderr: "" });
        const secret = kubectlRead(result.stdout);
        expect(secret).toMatchObject({
          apiVersion: "v1",
          kind: "Secret",
          type: "Opaque",
          metadata: { name },
        });
        expect(secret.metadata.annotations).toEqual({
          "lockbox.dev/version": "2",
          "lockbox.dev/checksum": expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        });
        const decoded = Object.entries(secret.data ?? {}).map(([key, data]) => [
          key,
          Buffer.from(data, "base64").toString(),
        ]);
        expect(Object.fromEntries(decoded)).toEqual({ ...values, PLAIN: `${canary}-2` });
      },
    );

    it("names the manifest with --name, and exits 2 on a name Kubernetes would not take", async () => {
      const name = await create(`TOKEN=${canary}`);
      const named = await lockbox.run([
        "secret",
        "export",
        name,
        "--format",
        "k8s",
        "--name",
        "shop.payments",
      ]);
      expect(named).toMatchObject({ code: 0, stderr: "" });
      expect(named.stdout).toContain("\n  name: shop.payments\n");
      const bad = await lockbox.run(["secret", "export", name, "--format", "k8s", "--name", "Shop_Payments"]);
      expect(bad).toMatchObject({ code: 2, stdout: "" });
      expect(bad.stderr).toMatch(/^Error: Invalid Kubernetes name 'Shop_Payments': use lower-case letters/);
      const json = await lockbox.run(["secret", "export", name, "--format", "json", "--name", "payments"]);
      expect(json).toMatchObject({ code: 2, stdout: "" });
      expect(`${bad.stderr}${json.stderr}`).not.toContain(canary);
    });

    it("exits 2 on an unknown format", async () => {
      const name = await create("A=1");
      const result = await lockbox.run(["secret", "export", name, "--format", "yaml"]);
      expect(result).toMatchObject({ code: 2, stdout: "" });
      expect(result.stderr).toBe("Error: Invalid format 'yaml': use one of dotenv, json, k8s\n");
    });
  });

  it("never lets the canary into the server's logs", () => {
    expect(lockbox.serverOutput()).not.toContain(canary);
  });
});
