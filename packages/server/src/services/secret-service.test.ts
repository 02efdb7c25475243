import { createHash } from "node:crypto";
import { parse as parseDotenv } from "dotenv";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  NotFoundError,
  PermissionDeniedError,
} from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";
import type { Actor } from "./actor.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let box: TempLockbox;
let admin: Actor;
let developer: Actor;
let viewer: Actor;
const main = "main";

beforeEach(async () => {
  box = await openTempLockbox();
  admin = box.admin;
  developer = testActor(box.workspaceId, "developer", "dev@example");
  viewer = testActor(box.workspaceId, "viewer", "viewer@example");
});

afterEach(async () => {
  vi.useRealTimers();
  await box.dispose();
});

const secrets = () => box.services.secrets;
const create = (name: string, values: Record<string, string>, actor: Actor = developer) =>
  secrets().create(actor, { environment: main, name, values });
const reveal = async (name: string, environment = main, version?: number) =>
  (await secrets().reveal(developer, { environment, name, version })).values;
const auditActions = async () => (await box.services.audit.list(admin)).map((entry) => entry.action);

describe("createSecretService", () => {
  describe("create", () => {
    it("creates version 1 with its keys, creator and values", async () => {
      const { created, secret } = await create("db", { USER: "app", PASSWORD: "pw-1" });
      expect(created).toBe(true);
      expect(secret).toMatchObject({
        name: "db",
        environment: main,
        version: 1,
        keys: ["PASSWORD", "USER"],
        createdBy: "dev@example",
        lastUsedAt: null,
      });
      expect(await reveal("db")).toEqual({ USER: "app", PASSWORD: "pw-1" });
      expect(await auditActions()).toContain("secret.create");
    });

    it("rejects a duplicate name", async () => {
      await create("db", { A: "1" });
      await expect(create("db", { A: "2" })).rejects.toThrow(AlreadyExistsError);
      await expect(create("db", { A: "2" })).rejects.toThrow(
        "Secret 'db' already exists in environment 'main'",
      );
      expect(await reveal("db")).toEqual({ A: "1" });
    });

    it("keeps the old values when ifExists is keep", async () => {
      await create("db", { A: "1" });
      const result = await secrets().create(developer, {
        environment: main,
        name: "db",
        values: { B: "2" },
        ifExists: "keep",
      });
      expect(result.created).toBe(false);
      expect(result.secret).toMatchObject({ version: 1, keys: ["A"] });
      expect(await reveal("db")).toEqual({ A: "1" });
      expect(await secrets().history(developer, { environment: main, name: "db" })).toHaveLength(1);
    });

    it("replaces the values and adds a version when ifExists is replace", async () => {
      await create("db", { A: "1", B: "2" });
      const result = await secrets().create(developer, {
        environment: main,
        name: "db",
        values: { B: "3", C: "4" },
        ifExists: "replace",
      });
      expect(result.created).toBe(true);
      expect(result.secret).toMatchObject({ version: 2, keys: ["B", "C"] });
      expect(await reveal("db")).toEqual({ B: "3", C: "4" });
      expect(await reveal("db", main, 1)).toEqual({ A: "1", B: "2" });
      const [latest] = await secrets().history(developer, { environment: main, name: "db" });
      expect(latest).toMatchObject({ version: 2, added: ["C"], removed: ["A"], changed: ["B"] });
      expect(await auditActions()).toContain("secret.replace");
    });

    it("rejects invalid names, keys and values without writing anything", async () => {
      await expect(create("bad name", { A: "1" })).rejects.toThrow(InvalidError);
      await expect(create("x".repeat(65), { A: "1" })).rejects.toThrow(InvalidError);
      await expect(create("db", { "1A": "1" })).rejects.toThrow(InvalidError);
      await expect(create("db", { A: "nul\0byte" })).rejects.toThrow(InvalidError);
      await expect(
        secrets().create(developer, { environment: main, name: "db", values: { A: 5 as unknown as string } }),
      ).rejects.toThrow("Non-string value for secret 'A'");
      expect(await secrets().list(developer, { environment: main })).toEqual([]);
    });

    it("accepts a name of exactly 64 characters", async () => {
      const name = "n".repeat(64);
      await create(name, { A: "1" });
      expect((await secrets().get(viewer, { environment: main, name })).name).toBe(name);
    });
  });

  describe("get", () => {
    it("returns key names only", async () => {
      await create("db", { USER: "app", PASSWORD: "pw" });
      const info = await secrets().get(viewer, { environment: main, name: "db", requiredKeys: ["USER"] });
      expect(info.keys).toEqual(["PASSWORD", "USER"]);
      expect(JSON.stringify(info)).not.toContain("pw");
    });

    it("names the missing required keys", async () => {
      await create("db", { USER: "app" });
      const get = secrets().get(developer, {
        environment: main,
        name: "db",
        requiredKeys: ["USER", "K1", "K2"],
      });
      await expect(get).rejects.toThrow(NotFoundError);
      await expect(
        secrets().get(developer, { environment: main, name: "db", requiredKeys: ["K1", "USER", "K2"] }),
      ).rejects.toThrow(/^Secret 'db' is missing key\(s\): K1, K2$/);
    });

    it("rejects an unknown secret", async () => {
      await expect(secrets().get(developer, { environment: main, name: "nope" })).rejects.toThrow(
        "Secret 'nope' not found in environment 'main'",
      );
    });
  });

  describe("list", () => {
    async function createAt(name: string, isoTime: string) {
      vi.setSystemTime(new Date(isoTime));
      await create(name, { A: name });
    }

    it("lists newest first with createdAt, createdBy and lastUsedAt", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      await createAt("first", "2030-01-01T00:00:01.000Z");
      await createAt("second", "2030-01-01T00:00:02.000Z");
      await createAt("third", "2030-01-01T00:00:03.000Z");
      vi.setSystemTime(new Date("2030-01-01T00:00:09.000Z"));
      await secrets().resolve(developer, { environment: main, secrets: [{ name: "second" }] });

      const list = await secrets().list(viewer, { environment: main });
      expect(list.map((secret) => secret.name)).toEqual(["third", "second", "first"]);
      expect(list[2]).toEqual({
        name: "first",
        environment: main,
        version: 1,
        keys: ["A"],
        createdAt: "2030-01-01T00:00:01.000Z",
        createdBy: "dev@example",
        updatedAt: "2030-01-01T00:00:01.000Z",
        lastUsedAt: null,
      });
      expect(list[1]?.lastUsedAt).toBe("2030-01-01T00:00:09.000Z");
    });

    it("pages with limit and createdBefore", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      for (let i = 1; i <= 5; i++) await createAt(`s${i}`, `2030-01-01T00:00:0${i}.000Z`);

      const page1 = await secrets().list(viewer, { environment: main, limit: 2 });
      expect(page1.map((s) => s.name)).toEqual(["s5", "s4"]);
      const page2 = await secrets().list(viewer, {
        environment: main,
        limit: 2,
        createdBefore: page1[1]?.createdAt,
      });
      expect(page2.map((s) => s.name)).toEqual(["s3", "s2"]);
      const page3 = await secrets().list(viewer, {
        environment: main,
        limit: 2,
        createdBefore: page2[1]?.createdAt,
      });
      expect(page3.map((s) => s.name)).toEqual(["s1"]);
    });

    it("pages through secrets created in the same millisecond without skipping any", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date("2030-01-01T00:00:00.000Z"));
      for (let i = 0; i < 7; i++) await create(`s${i}`, {});
      const seen: string[] = [];
      let createdBefore: string | undefined;
      for (let page = 0; page < 10; page++) {
        const secretsPage = await secrets().list(viewer, { environment: main, limit: 3, createdBefore });
        if (secretsPage.length === 0) break;
        seen.push(...secretsPage.map((secret) => secret.name));
        createdBefore = secretsPage.at(-1)?.createdAt;
      }
      expect(seen).toEqual(["s6", "s5", "s4", "s3", "s2", "s1", "s0"]);
    });

    it("shows the keys of the current version after an update", async () => {
      await create("db", { A: "1" });
      await secrets().update(developer, { environment: main, name: "db", set: { B: "2" } });
      const [info] = await secrets().list(viewer, { environment: main });
      expect(info).toMatchObject({ version: 2, keys: ["A", "B"] });
    });
  });

  describe("update", () => {
    it("merges set into the current values and removes unset", async () => {
      await create("db", { A: "1", B: "2", C: "3" });
      const info = await secrets().update(developer, {
        environment: main,
        name: "db",
        set: { B: "20", D: "4" },
        unset: ["C"],
      });
      expect(info).toMatchObject({ version: 2, keys: ["A", "B", "D"] });
      expect(await reveal("db")).toEqual({ A: "1", B: "20", D: "4" });
      expect(await auditActions()).toContain("secret.update");
    });

    it("refuses a secret of more than 1000 keys, on create and on the merged result of an update", async () => {
      const keys = (from: number, count: number) =>
        Object.fromEntries(Array.from({ length: count }, (_, i) => [`K${from + i}`, "v"]));
      await expect(create("big", keys(0, 1001))).rejects.toThrow(
        "A secret holds at most 1000 keys; this one would hold 1001",
      );
      await create("db", keys(0, 600));
      await expect(
        secrets().update(developer, { environment: main, name: "db", set: keys(600, 401) }),
      ).rejects.toThrow("A secret holds at most 1000 keys; this one would hold 1001");
      const info = await secrets().update(developer, { environment: main, name: "db", set: keys(600, 400) });
      expect(info).toMatchObject({ version: 2 });
      expect(info.keys).toHaveLength(1000);
    });

    it("rejects a stale ifVersion with ConflictError and changes nothing", async () => {
      await create("db", { A: "1" });
      await secrets().update(developer, { environment: main, name: "db", set: { A: "2" }, ifVersion: 1 });
      const stale = secrets().update(developer, {
        environment: main,
        name: "db",
        set: { A: "3" },
        ifVersion: 1,
      });
      await expect(stale).rejects.toThrow(ConflictError);
      await expect(
        secrets().update(developer, { environment: main, name: "db", set: { A: "3" }, ifVersion: 1 }),
      ).rejects.toThrow(/is at version 2, not 1/);
      expect(await reveal("db")).toEqual({ A: "2" });
      expect((await secrets().get(developer, { environment: main, name: "db" })).version).toBe(2);
    });

    it("makes no version when nothing changes", async () => {
      await create("db", { A: "1" });
      const same = await secrets().update(developer, { environment: main, name: "db", set: { A: "1" } });
      expect(same.version).toBe(1);
      expect(await secrets().history(developer, { environment: main, name: "db" })).toHaveLength(1);
      expect((await auditActions()).filter((action) => action === "secret.update")).toEqual([]);
    });

    it("rejects an unset of a key the secret does not have, naming the keys and writing nothing", async () => {
      await create("db", { A: "1", B: "2" });
      const update = secrets().update(developer, {
        environment: main,
        name: "db",
        set: { A: "changed" },
        unset: ["B", "NOT_THERE", "NOR_THIS", "NOT_THERE"],
      });
      await expect(update).rejects.toThrow(InvalidError);
      await expect(update).rejects.toThrow(/^Secret 'db' has no key\(s\): NOT_THERE, NOR_THIS$/);
      expect(await reveal("db")).toEqual({ A: "1", B: "2" });
      expect(await secrets().history(developer, { environment: main, name: "db" })).toHaveLength(1);
      expect((await auditActions()).filter((action) => action === "secret.update")).toEqual([]);
    });

    it("rejects a key both set and unset, and invalid input", async () => {
      await create("db", { A: "1" });
      await expect(
        secrets().update(developer, { environment: main, name: "db", set: { A: "2" }, unset: ["A"] }),
      ).rejects.toThrow("Key 'A' cannot be both set and unset");
      await expect(
        secrets().update(developer, { environment: main, name: "db", unset: ["bad-key"] }),
      ).rejects.toThrow(InvalidError);
      await expect(
        secrets().update(developer, { environment: main, name: "db", set: { A: "x".repeat(32_769) } }),
      ).rejects.toThrow(InvalidError);
      expect(await reveal("db")).toEqual({ A: "1" });
    });

    it("rejects an unknown secret", async () => {
      await expect(
        secrets().update(developer, { environment: main, name: "nope", set: { A: "1" } }),
      ).rejects.toThrow(NotFoundError);
    });
  });

  describe("delete", () => {
    it("deletes a secret and its versions", async () => {
      await create("db", { A: "1" });
      await secrets().update(developer, { environment: main, name: "db", set: { A: "2" } });
      expect(await secrets().delete(developer, { environment: main, name: "db" })).toEqual({ deleted: true });
      await expect(secrets().get(developer, { environment: main, name: "db" })).rejects.toThrow(
        NotFoundError,
      );
      const versions = await box.store.secrets.listVersions("unknown", { limit: 10 });
      expect(versions).toEqual([]);
      // A new secret of the same name starts again at version 1.
      const { secret } = await create("db", { B: "1" });
      expect(secret.version).toBe(1);
      expect(await reveal("db")).toEqual({ B: "1" });
      expect(await auditActions()).toContain("secret.delete");
    });

    it("rejects a missing secret unless allowMissing", async () => {
      await expect(secrets().delete(developer, { environment: main, name: "nope" })).rejects.toThrow(
        "Secret 'nope' not found in environment 'main'",
      );
      expect(
        await secrets().delete(developer, { environment: main, name: "nope", allowMissing: true }),
      ).toEqual({
        deleted: false,
      });
    });
  });

  describe("history", () => {
    it("shows added, removed and changed keys per version, never values", async () => {
      const canary = "CANARY-history-91b2";
      await create("db", { A: `${canary}-1`, B: `${canary}-2` });
      await secrets().update(developer, {
        environment: main,
        name: "db",
        set: { B: `${canary}-3`, C: canary },
      });
      await secrets().update(developer, { environment: main, name: "db", unset: ["A"] });

      const history = await secrets().history(viewer, { environment: main, name: "db" });
      expect(history.map(({ createdAt: _, ...rest }) => rest)).toEqual([
        {
          version: 3,
          createdBy: "dev@example",
          keys: ["B", "C"],
          added: [],
          removed: ["A"],
          changed: [],
          rollbackOf: null,
        },
        {
          version: 2,
          createdBy: "dev@example",
          keys: ["A", "B", "C"],
          added: ["C"],
          removed: [],
          changed: ["B"],
          rollbackOf: null,
        },
        {
          version: 1,
          createdBy: "dev@example",
          keys: ["A", "B"],
          added: ["A", "B"],
          removed: [],
          changed: [],
          rollbackOf: null,
        },
      ]);
      expect(JSON.stringify(history)).not.toContain(canary);
    });
  });

  describe("rollback", () => {
    it("makes a new version equal to the old one and keeps history", async () => {
      await create("db", { A: "1", B: "2" });
      await secrets().update(developer, { environment: main, name: "db", set: { A: "10" }, unset: ["B"] });
      const info = await secrets().rollback(developer, { environment: main, name: "db", version: 1 });
      expect(info).toMatchObject({ version: 3, keys: ["A", "B"] });
      expect(await reveal("db")).toEqual({ A: "1", B: "2" });
      expect(await reveal("db", main, 2)).toEqual({ A: "10" });
      const [latest] = await secrets().history(developer, { environment: main, name: "db" });
      expect(latest).toMatchObject({ version: 3, rollbackOf: 1, added: ["B"], changed: ["A"], removed: [] });
      expect(await auditActions()).toContain("secret.rollback");
    });

    it("rejects a version that does not exist", async () => {
      await create("db", { A: "1" });
      await expect(
        secrets().rollback(developer, { environment: main, name: "db", version: 7 }),
      ).rejects.toThrow("Secret 'db' has no version 7");
      expect((await secrets().get(developer, { environment: main, name: "db" })).version).toBe(1);
    });
  });

  describe("export", () => {
    const tricky = {
      PLAIN: "simple",
      EMPTY: "",
      SINGLE_QUOTE: "it's",
      DOUBLE_QUOTE: 'say "hi"',
      BOTH_QUOTES: `it's "both"`,
      BACKTICK: "run `cmd`",
      NEWLINE: "line 1\nline 2\n",
      NEWLINE_AND_QUOTE: "it's\nmultiline",
      NEWLINE_QUOTE_BACKTICK: "it's\n`multi`",
      CRLF: "windows\r\nline",
      CARRIAGE_RETURN: "a\rb",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal "${USER}" must survive the export
      DOLLAR: "$HOME ${USER} $(whoami)",
      HASH: "value # not a comment",
      LEADING_HASH: "#hash",
      EQUALS: "a=b==c",
      SPACES: "  padded  ",
      BACKSLASHES: "C:\\new\\table\\n",
      UNICODE: "héllo ✓",
    };

    it("exports dotenv that dotenv parses back to the same values", async () => {
      await create("tricky", tricky);
      const text = await secrets().export(developer, { environment: main, name: "tricky", format: "dotenv" });
      expect(parseDotenv(text)).toEqual(tricky);
      expect(await auditActions()).toContain("secret.export");
    });

    it("refuses a value dotenv cannot represent rather than exporting a different one", async () => {
      await create("odd", { K: `it's "x"\n\`y\`` });
      await expect(
        secrets().export(developer, { environment: main, name: "odd", format: "dotenv" }),
      ).rejects.toThrow(InvalidError);
    });

    it("exports JSON", async () => {
      await create("tricky", tricky);
      const text = await secrets().export(developer, { environment: main, name: "tricky", format: "json" });
      expect(JSON.parse(text)).toEqual(tricky);
    });

    it("exports a Kubernetes Secret with base64 data", async () => {
      await create("My_App.Secret", { B: "two\nlines", A: "one" });
      const text = await secrets().export(developer, {
        environment: main,
        name: "My_App.Secret",
        format: "k8s",
      });
      const lines = text.trimEnd().split("\n");
      expect(lines.slice(0, 9)).toEqual([
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        "  name: my-app.secret",
        "  annotations:",
        '    lockbox.dev/version: "1"',
        expect.stringMatching(/^ {4}lockbox\.dev\/checksum: "sha256:[0-9a-f]{64}"$/),
        "type: Opaque",
        "data:",
      ]);
      const data = Object.fromEntries(
        lines.slice(9).map((line) => {
          const match = /^ {2}"?([A-Za-z_][A-Za-z0-9_]*)"?: ([A-Za-z0-9+/=]*)$/.exec(line);
          expect(match).not.toBeNull();
          return [match?.[1], Buffer.from(match?.[2] ?? "", "base64").toString()];
        }),
      );
      expect(data).toEqual({ A: "one", B: "two\nlines" });
    });

    it("annotates the version and a checksum that changes with each new version", async () => {
      const exported = () =>
        secrets().export(developer, { environment: main, name: "rolled", format: "k8s" });
      const annotations = (text: string) => /^ {2}annotations:\n((?: {4}.*\n)+)/m.exec(text)?.[1];
      await create("rolled", { A: "canary-one" });
      const first = await exported();
      expect(await exported()).toBe(first);
      await secrets().update(developer, { environment: main, name: "rolled", set: { A: "canary-two" } });
      const second = await exported();
      expect(second).toContain('lockbox.dev/version: "2"');
      expect(annotations(second)).not.toBe(annotations(first));
      // The checksum must not be a plain hash of the values, which anyone reading a pod template could guess.
      for (const hash of [sha256(JSON.stringify({ A: "canary-two" })), sha256("canary-two")]) {
        expect(second).not.toContain(hash);
      }
    });

    it.each([
      "a..b",
      "a.-b",
      "-lead-",
      "UPPER",
      "_x_",
      "x.",
      "...",
      "a._b",
    ])("gives %j a valid Kubernetes name", async (name) => {
      await create(name, { A: "1" });
      const text = await secrets().export(developer, { environment: main, name, format: "k8s" });
      const k8sName = /^ {2}name: (.*)$/m.exec(text)?.[1] ?? "";
      const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
      expect(k8sName).toMatch(dns1123Subdomain);
      expect(k8sName.length).toBeLessThanOrEqual(253);
    });

    it("names the Kubernetes Secret as asked, and refuses a name Kubernetes would not take", async () => {
      await create("My_App", { A: "1" });
      const ref = { environment: main, name: "My_App", format: "k8s" as const };
      const named = await secrets().export(developer, { ...ref, kubernetesName: "shop.payments" });
      expect(named).toContain("\n  name: shop.payments\n");
      for (const kubernetesName of ["My_App", "-a", "a.", "a..b", "x".repeat(254)]) {
        await expect(secrets().export(developer, { ...ref, kubernetesName })).rejects.toThrow(
          /^Invalid Kubernetes name '.*': use lower-case letters/,
        );
      }
      await expect(
        secrets().export(developer, { ...ref, format: "json", kubernetesName: "payments" }),
      ).rejects.toThrow("A Kubernetes name is only for the format k8s, not 'json'");
    });

    it("quotes data keys that YAML would read as something else", async () => {
      await create("yaml", { ON: "1", NO: "2", null: "3", y: "4", ONE: "5" });
      const text = await secrets().export(developer, { environment: main, name: "yaml", format: "k8s" });
      for (const key of ["ON", "NO", "null", "y"]) expect(text).toContain(`  "${key}": `);
      expect(text).toContain(`  ONE: ${Buffer.from("5").toString("base64")}\n`);
    });

    it("exports an empty secret", async () => {
      await create("empty", {});
      expect(await secrets().export(developer, { environment: main, name: "empty", format: "dotenv" })).toBe(
        "",
      );
      expect(
        JSON.parse(await secrets().export(developer, { environment: main, name: "empty", format: "json" })),
      ).toEqual({});
      expect(
        await secrets().export(developer, { environment: main, name: "empty", format: "k8s" }),
      ).toContain("data: {}");
    });
  });

  describe("resolve", () => {
    it("returns values in order, sets lastUsedAt and writes an audit entry per secret", async () => {
      await create("one", { A: "1" });
      await create("two", { B: "2" });
      await secrets().update(developer, { environment: main, name: "two", set: { B: "3" } });
      const before = Date.now();
      const resolved = await secrets().resolve(developer, {
        environment: main,
        secrets: [{ name: "two", requiredKeys: ["B"] }, { name: "one" }],
      });
      expect(resolved).toEqual([
        { name: "two", version: 2, values: { B: "3" } },
        { name: "one", version: 1, values: { A: "1" } },
      ]);
      for (const name of ["one", "two"]) {
        const { lastUsedAt } = await secrets().get(developer, { environment: main, name });
        expect(Date.parse(lastUsedAt ?? "")).toBeGreaterThanOrEqual(before - 1000);
      }
      const entries = (await box.services.audit.list(admin)).filter(
        (entry) => entry.action === "secret.resolve",
      );
      expect(
        entries.map(({ secret, version, environment, actor }) => ({ secret, version, environment, actor })),
      ).toEqual(
        expect.arrayContaining([
          { secret: "one", version: 1, environment: main, actor: "dev@example" },
          { secret: "two", version: 2, environment: main, actor: "dev@example" },
        ]),
      );
      expect(entries).toHaveLength(2);
    });

    it("fails on missing required keys without recording a use", async () => {
      await create("one", { A: "1" });
      await create("two", { B: "2" });
      const resolve = secrets().resolve(developer, {
        environment: main,
        secrets: [{ name: "one" }, { name: "two", requiredKeys: ["B", "K1", "K2"] }],
      });
      await expect(resolve).rejects.toThrow("Secret 'two' is missing key(s): K1, K2");
      expect((await secrets().get(developer, { environment: main, name: "one" })).lastUsedAt).toBeNull();
      expect(await auditActions()).not.toContain("secret.resolve");
    });

    it("fails on a missing secret", async () => {
      await expect(
        secrets().resolve(developer, { environment: main, secrets: [{ name: "nope" }] }),
      ).rejects.toThrow(NotFoundError);
    });

    it("refuses a secret named twice, or more secrets than the limit, reading nothing", async () => {
      await create("one", { A: "1" });
      const twice = secrets().resolve(developer, {
        environment: main,
        secrets: [{ name: "one" }, { name: "one", version: 1 }],
      });
      await expect(twice).rejects.toThrow(
        new InvalidError("Secret 'one' is named twice in one resolve: name each secret once"),
      );
      const many = secrets().resolve(developer, {
        environment: main,
        secrets: Array.from({ length: 101 }, (_, i) => ({ name: `s${i}` })),
      });
      await expect(many).rejects.toThrow(
        new InvalidError("A resolve names at most 100 secrets; this one names 101"),
      );
      expect(await auditActions()).not.toContain("secret.resolve");
    });
  });

  describe("environments", () => {
    it("treats the same name in two environments as two secrets", async () => {
      await box.services.environments.create(admin, "prod");
      await create("db", { URL: "main-url" });
      await secrets().create(developer, {
        environment: "prod",
        name: "db",
        values: { URL: "prod-url", X: "1" },
      });
      expect(await reveal("db", main)).toEqual({ URL: "main-url" });
      expect(await reveal("db", "prod")).toEqual({ URL: "prod-url", X: "1" });

      await secrets().update(developer, { environment: "prod", name: "db", set: { URL: "prod-2" } });
      expect((await secrets().get(developer, { environment: main, name: "db" })).version).toBe(1);
      await secrets().delete(developer, { environment: "prod", name: "db" });
      expect(await reveal("db", main)).toEqual({ URL: "main-url" });
      expect(await secrets().list(developer, { environment: "prod" })).toEqual([]);
    });

    it("rejects an environment that does not exist", async () => {
      const ref = { environment: "staging", name: "db" };
      await expect(secrets().create(developer, { ...ref, values: {} })).rejects.toThrow(
        "Environment 'staging' not found",
      );
      await expect(secrets().create(developer, { ...ref, values: {} })).rejects.toThrow(NotFoundError);
      await expect(secrets().list(developer, { environment: "staging" })).rejects.toThrow(NotFoundError);
      await expect(secrets().reveal(developer, ref)).rejects.toThrow("Environment 'staging' not found");
      await expect(secrets().list(developer, { environment: "-bad" })).rejects.toThrow(InvalidError);
    });
  });

  describe("roles", () => {
    beforeEach(async () => {
      await create("db", { PASSWORD: "pw-viewer-must-not-see" });
    });

    it("lets a viewer list, get and read history", async () => {
      expect((await secrets().list(viewer, { environment: main })).map((s) => s.name)).toEqual(["db"]);
      expect((await secrets().get(viewer, { environment: main, name: "db" })).keys).toEqual(["PASSWORD"]);
      expect(await secrets().history(viewer, { environment: main, name: "db" })).toHaveLength(1);
    });

    it("refuses a viewer anything that reads or changes values", async () => {
      const ref = { environment: main, name: "db" };
      const attempts = [
        () => secrets().reveal(viewer, ref),
        () => secrets().export(viewer, { ...ref, format: "dotenv" }),
        () => secrets().resolve(viewer, { environment: main, secrets: [{ name: "db" }] }),
        () => secrets().update(viewer, { ...ref, set: { PASSWORD: "changed" } }),
        () => secrets().create(viewer, { ...ref, name: "other", values: {} }),
        () => secrets().delete(viewer, ref),
        () => secrets().rollback(viewer, { ...ref, version: 1 }),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).rejects.toThrow(PermissionDeniedError);
      }
      await expect(secrets().reveal(viewer, ref)).rejects.toThrow(
        "A viewer token cannot read secret values; it needs the developer role",
      );
      expect(await reveal("db")).toEqual({ PASSWORD: "pw-viewer-must-not-see" });
      expect((await secrets().get(developer, ref)).version).toBe(1);
    });

    it("keeps another workspace's secrets out of reach", async () => {
      const creator = { ...admin, canCreateWorkspaces: true };
      const { workspace } = await box.services.workspaces.create(creator, "other");
      const other = await box.store.directory.findWorkspace(workspace.name);
      const outsider = testActor(other?.id ?? "", "admin");
      await expect(secrets().get(outsider, { environment: main, name: "db" })).rejects.toThrow(NotFoundError);
      await expect(secrets().reveal(outsider, { environment: main, name: "db" })).rejects.toThrow(
        NotFoundError,
      );
      expect(await secrets().list(outsider, { environment: main })).toEqual([]);
      await create("db", { PASSWORD: "other" }, outsider);
      expect(await reveal("db")).toEqual({ PASSWORD: "pw-viewer-must-not-see" });
    });
  });

  describe("keys that name Object.prototype members", () => {
    it("round-trips a key named __proto__ as a normal key", async () => {
      const values = JSON.parse('{"__proto__":"proto-value","constructor":"c","A":"a"}') as Record<
        string,
        string
      >;
      await create("proto", values);
      const revealed = await reveal("proto");
      expect(Object.hasOwn(revealed, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(revealed)).toBe(Object.prototype);
      expect(Object.keys(revealed).sort()).toEqual(["A", "__proto__", "constructor"]);
      expect(Object.getOwnPropertyDescriptor(revealed, "__proto__")?.value).toBe("proto-value");
      expect((await secrets().get(viewer, { environment: main, name: "proto" })).keys).toEqual([
        "A",
        "__proto__",
        "constructor",
      ]);

      const set = JSON.parse('{"__proto__":"changed"}') as Record<string, string>;
      await secrets().update(developer, { environment: main, name: "proto", set });
      expect(Object.getOwnPropertyDescriptor(await reveal("proto"), "__proto__")?.value).toBe("changed");
      const [latest] = await secrets().history(developer, { environment: main, name: "proto" });
      expect(latest?.changed).toEqual(["__proto__"]);

      const json = await secrets().export(developer, { environment: main, name: "proto", format: "json" });
      expect(Object.getOwnPropertyDescriptor(JSON.parse(json), "__proto__")?.value).toBe("changed");

      await secrets().update(developer, { environment: main, name: "proto", unset: ["__proto__"] });
      expect(Object.keys(await reveal("proto")).sort()).toEqual(["A", "constructor"]);
      expect(({} as Record<string, unknown>).changed).toBeUndefined();
    });
  });
});
