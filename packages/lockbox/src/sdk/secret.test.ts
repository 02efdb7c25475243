import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidError, insideContainerSymbol } from "@lockbox/server/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InlineSource } from "./definitions.js";
import { secretSource } from "./global-slots.js";
import { Secret } from "./secret.js";

// Placeholders stand in for secret values; none is ever printed.
const placeholder = "value-that-must-not-appear";

function inline(secret: Secret): InlineSource {
  const source = secretSource(secret);
  if (source?.kind !== "inline") throw new Error("expected an ephemeral secret");
  return source;
}

const load = (secret: Secret) => inline(secret).load();

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("Secret.fromDict", () => {
  it("drops null and undefined values and keeps strings", async () => {
    const secret = Secret.fromDict({ FOO: "a", GONE: undefined, ALSO_GONE: null, EMPTY: "" });
    expect(await load(secret)).toEqual({ FOO: "a", EMPTY: "" });
  });

  it("throws InvalidError synchronously for a non-string value, without the value", () => {
    const error = thrown(() => Secret.fromDict({ NUM: 1234567 as unknown as string }));
    expect(error).toBeInstanceOf(InvalidError);
    expect(error.message).toBe("Non-string value for secret 'NUM'");
    expect(error.message).not.toContain("1234567");
  });

  it("rejects an invalid key synchronously", () => {
    expect(() => Secret.fromDict({ "1BAD": "x" })).toThrow(InvalidError);
    expect(() => Secret.fromDict({ "BAD-KEY": "x" })).toThrow(/Invalid key 'BAD-KEY'/);
  });

  it("rejects a value with NUL or over the limit, naming only the key", () => {
    const nul = thrown(() => Secret.fromDict({ K: `${placeholder}\0` }));
    const long = thrown(() => Secret.fromDict({ K: placeholder.repeat(2000) }));
    for (const error of [nul, long]) {
      expect(error).toBeInstanceOf(InvalidError);
      expect(error.message).not.toContain(placeholder);
    }
  });

  it("rejects anything but an object", () => {
    expect(() => Secret.fromDict(["A"] as unknown as Record<string, string>)).toThrow(InvalidError);
    expect(() => Secret.fromDict(null as unknown as Record<string, string>)).toThrow(InvalidError);
  });

  it("copies the record: later changes to it do not leak in", async () => {
    const record: Record<string, string> = { FOO: "a" };
    const secret = Secret.fromDict(record);
    record.FOO = "b";
    expect(await load(secret)).toEqual({ FOO: "a" });
  });

  it("is labelled by its keys, never its values", () => {
    const secret = Secret.fromDict({ FOO: placeholder, BAR: undefined });
    expect(inline(secret).label).toBe("Secret.fromDict([FOO, BAR])");
    expect(String(secret)).not.toContain(placeholder);
    expect(secret.name).toBeUndefined();
  });

  it("has fromObject as an alias", async () => {
    expect(await load(Secret.fromObject({ A: "1", B: undefined }))).toEqual({ A: "1" });
    expect(() => Secret.fromObject({ A: 1 as unknown as string })).toThrow("Non-string value for secret 'A'");
  });
});

describe("Secret.fromName", () => {
  it("is lazy: a name that does not exist is fine until the app runs", () => {
    const secret = Secret.fromName("does-not-exist", { requiredKeys: ["A"] });
    expect(secret.name).toBe("does-not-exist");
    expect(secretSource(secret)).toEqual({
      kind: "named",
      name: "does-not-exist",
      environment: undefined,
      requiredKeys: ["A"],
    });
  });

  it("checks the name, environment and required keys now", () => {
    expect(() => Secret.fromName("bad name")).toThrow(InvalidError);
    expect(() => Secret.fromName("ok", { environment: "-dev" })).toThrow(InvalidError);
    expect(() => Secret.fromName("ok", { requiredKeys: ["1X"] })).toThrow(InvalidError);
  });
});

describe("Secret.fromLocalEnviron", () => {
  const slots = globalThis as unknown as Record<symbol, unknown>;
  afterEach(() => {
    delete slots[insideContainerSymbol];
    delete process.env.LOCKBOX_TEST_LOCAL_A;
  });

  it("copies the keys from the local environment", async () => {
    process.env.LOCKBOX_TEST_LOCAL_A = "a";
    expect(await load(Secret.fromLocalEnviron(["LOCKBOX_TEST_LOCAL_A"]))).toEqual({
      LOCKBOX_TEST_LOCAL_A: "a",
    });
  });

  it("throws InvalidError naming a missing variable", () => {
    expect(() => Secret.fromLocalEnviron(["LOCKBOX_TEST_MISSING"])).toThrow(
      new InvalidError(
        "Could not find local environment variable 'LOCKBOX_TEST_MISSING' for Secret.fromLocalEnviron",
      ),
    );
  });

  it("is empty inside a container, where the variables do not exist", async () => {
    slots[insideContainerSymbol] = true;
    expect(await load(Secret.fromLocalEnviron(["LOCKBOX_TEST_MISSING"]))).toEqual({});
  });
});

describe("Secret.fromDotenv", () => {
  let root: string;
  let cwd: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "lockbox-dotenv-"));
    cwd = process.cwd();
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(root, { recursive: true, force: true });
    delete process.env.LOCKBOX_TEST_HOST;
  });

  it("finds .env upward from the working directory, when the app runs", async () => {
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    process.chdir(deep);
    const secret = Secret.fromDotenv();
    writeFileSync(join(root, ".env"), 'USERNAME=alice\n# a comment\nQUOTED="x y"\n');
    expect(await load(secret)).toEqual({ USERNAME: "alice", QUOTED: "x y" });
    expect(inline(secret).label).toBe(`Secret.fromDotenv(${join(root, ".env")})`);
  });

  it("searches upward from a given file or folder and takes the nearest file", async () => {
    mkdirSync(join(root, "a", "b"), { recursive: true });
    writeFileSync(join(root, ".env"), "WHERE=root\n");
    writeFileSync(join(root, "a", ".env"), "WHERE=a\n");
    writeFileSync(join(root, "a", "b", "main.ts"), "");
    expect(await load(Secret.fromDotenv(join(root, "a", "b", "main.ts")))).toEqual({ WHERE: "a" });
    expect(await load(Secret.fromDotenv(join(root, "a", "b")))).toEqual({ WHERE: "a" });
    expect(await load(Secret.fromDotenv(root))).toEqual({ WHERE: "root" });
  });

  it("honours a custom filename", async () => {
    writeFileSync(join(root, ".env"), "WHICH=default\n");
    writeFileSync(join(root, ".env.prod"), "WHICH=prod\n");
    expect(await load(Secret.fromDotenv(root, { filename: ".env.prod" }))).toEqual({ WHICH: "prod" });
  });

  it("expands variables from the file, then from the local environment", async () => {
    process.env.LOCKBOX_TEST_HOST = "db.local";
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv's own ${VAR} syntax
    writeFileSync(join(root, ".env"), "USER=bob\nURL=postgres://${USER}@${LOCKBOX_TEST_HOST}/app\n");
    expect(await load(Secret.fromDotenv(root))).toEqual({ USER: "bob", URL: "postgres://bob@db.local/app" });
  });

  it("gives an empty secret when no file is found", async () => {
    expect(await load(Secret.fromDotenv(root, { filename: ".env.lockbox-none" }))).toEqual({});
  });

  it("rejects a bad key in the file, naming the file and not the value", async () => {
    writeFileSync(join(root, ".env"), `GOOD=1\nBAD.KEY=${placeholder}\n`);
    const error = await load(Secret.fromDotenv(root)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toContain(join(root, ".env"));
    expect((error as Error).message).not.toContain(placeholder);
  });

  it.each([
    ["a line without '='", `GOOD=1\n${placeholder}\n`, "line 2 is not KEY=VALUE"],
    ["a key assigned twice", `K=1\nK=${placeholder}\n`, "'K' is assigned twice, on lines 1 and 2"],
  ])("throws InvalidError on %s, naming the file and the line or key", async (_, text, problem) => {
    writeFileSync(join(root, ".env"), text);
    const error = await load(Secret.fromDotenv(root)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toBe(`Could not parse .env file at ${join(root, ".env")}: ${problem}`);
  });
});

describe("secrets that are not named", () => {
  it("cannot be updated or inspected", async () => {
    await expect(Secret.fromDict({}).update({ A: "1" })).rejects.toThrow(/needs a named secret/);
    await expect(Secret.fromDict({}).info()).rejects.toThrow(InvalidError);
  });
});
