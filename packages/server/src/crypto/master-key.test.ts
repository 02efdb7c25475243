import { randomBytes } from "node:crypto";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLockbox } from "../lockbox.js";
import { IntegrityError, InvalidError } from "../shared/errors.js";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import {
  generateMasterKey,
  loadMasterKeys,
  type MasterKey,
  type MasterKeySource,
  masterKeyFileName,
  writeKeyFile,
} from "./master-key.js";

let dataDir: string;
beforeEach(() => {
  dataDir = makeTempDir();
});
afterEach(() => {
  removeTempDir(dataDir);
});

const keyPath = () => join(dataDir, masterKeyFileName);
const encoded = (bytes: number) => randomBytes(bytes).toString("base64");

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** The first key: the only one, outside a rotation. */
const loadMasterKey = (source: MasterKeySource) => loadMasterKeys(source)[0] as MasterKey;

describe("loadMasterKeys", () => {
  it("reads several keys, new first, from LOCKBOX_MASTER_KEY or the key file", () => {
    const [newKey, oldKey] = [generateMasterKey(), generateMasterKey()];
    const both = `${newKey.key.toString("base64")},${oldKey.key.toString("base64")}`;
    expect(loadMasterKeys({ dataDir, encodedKey: both }).map((key) => key.id)).toEqual([
      newKey.id,
      oldKey.id,
    ]);
    writeKeyFile(dataDir, [newKey, oldKey]);
    expect(statSync(keyPath()).mode & 0o777).toBe(0o600);
    expect(loadMasterKeys({ dataDir }).map((key) => key.id)).toEqual([newKey.id, oldKey.id]);
    writeKeyFile(dataDir, [newKey]);
    expect(loadMasterKeys({ dataDir }).map((key) => key.id)).toEqual([newKey.id]);
    // Replaced through a temporary file: nothing is left beside it.
    expect(readdirSync(dataDir)).toEqual([masterKeyFileName]);
  });

  it("generates a key file with mode 0600 on first use", () => {
    const key = loadMasterKey({ dataDir });
    expect(key.key.length).toBe(32);
    expect(key.id).toMatch(/^[0-9a-f]{16}$/);
    expect(statSync(keyPath()).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyPath(), "utf8").trim(), "base64").equals(key.key)).toBe(true);
    expect(readdirSync(dataDir)).toEqual([masterKeyFileName]);
  });

  it("creates the data folder when it does not exist", () => {
    const nested = join(dataDir, "a", "b");
    const key = loadMasterKey({ dataDir: nested });
    expect(statSync(join(nested, masterKeyFileName)).isFile()).toBe(true);
    expect(key.key.length).toBe(32);
  });

  it("reuses the key file afterwards", () => {
    const first = loadMasterKey({ dataDir });
    const fileBefore = readFileSync(keyPath());
    const second = loadMasterKey({ dataDir });
    expect(second.id).toBe(first.id);
    expect(second.key.equals(first.key)).toBe(true);
    expect(readFileSync(keyPath()).equals(fileBefore)).toBe(true);
  });

  it("gives different keys to different data folders", () => {
    const other = makeTempDir();
    try {
      expect(loadMasterKey({ dataDir: other }).id).not.toBe(loadMasterKey({ dataDir }).id);
    } finally {
      removeTempDir(other);
    }
  });

  it("uses an encoded key instead of the file, without writing one", () => {
    const value = encoded(32);
    const key = loadMasterKey({ dataDir, encodedKey: value });
    expect(key.key.equals(Buffer.from(value, "base64"))).toBe(true);
    expect(() => statSync(keyPath())).toThrow();
  });

  it.each([0, 16, 31, 33, 64])("refuses an encoded key of %i bytes, naming the 32 bytes", (bytes) => {
    let error: unknown;
    try {
      loadMasterKey({ dataDir, encodedKey: encoded(bytes) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toBe(
      `LOCKBOX_MASTER_KEY must be base64 of 32 bytes, but it decodes to ${bytes} bytes`,
    );
  });

  it("refuses a key file that other users can read", () => {
    writeFileSync(keyPath(), `${encoded(32)}\n`, { mode: 0o600 });
    chmodSync(keyPath(), 0o644);
    expect(() => loadMasterKey({ dataDir })).toThrow(InvalidError);
    expect(() => loadMasterKey({ dataDir })).toThrow(
      /can be read by other users \(mode 644\); run: chmod 600/,
    );
    chmodSync(keyPath(), 0o600);
    expect(loadMasterKey({ dataDir }).key.length).toBe(32);
  });

  it("refuses a key file of the wrong length, without showing its content", () => {
    const content = encoded(16);
    writeFileSync(keyPath(), content, { mode: 0o600 });
    expect(() => loadMasterKey({ dataDir })).toThrow(
      /must be base64 of 32 bytes, but it decodes to 16 bytes/,
    );
    try {
      loadMasterKey({ dataDir });
    } catch (error) {
      expect((error as Error).message).not.toContain(content);
    }
  });
});

describe("openLockbox", () => {
  it("writes the key file on first open and accepts it again", async () => {
    const first = await openLockbox({ dataDir });
    await first.close();
    expect(statSync(keyPath()).mode & 0o777).toBe(0o600);
    const again = await openLockbox({ dataDir });
    await again.close();
  });

  it("refuses a data folder set up with another key file", async () => {
    await (await openLockbox({ dataDir })).close();
    writeFileSync(keyPath(), `${encoded(32)}\n`, { mode: 0o600 });
    const error = await rejection(openLockbox({ dataDir }));
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toMatch(
      /^The master key from the key file \(id [0-9a-f]{16}\) is not the key this store was set up with/,
    );
  });

  it("refuses a LOCKBOX_MASTER_KEY other than the one the store was set up with", async () => {
    const original = encoded(32);
    await (await openLockbox({ dataDir, encodedKey: original })).close();
    const error = await rejection(openLockbox({ dataDir, encodedKey: encoded(32) }));
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toMatch(
      /^The master key from LOCKBOX_MASTER_KEY .* is not the key this store was set up with/,
    );
    expect(error.message).toContain("set LOCKBOX_MASTER_KEY to it, or restore the key file");
    expect(error.message).not.toContain(original);
    // The original key still opens it.
    await (await openLockbox({ dataDir, encodedKey: original })).close();
  });

  it("lets several starts on a new data folder share one key file", async () => {
    const opened = await Promise.all([0, 1, 2].map(() => openLockbox({ dataDir })));
    await Promise.all(opened.map((lockbox) => lockbox.close()));
    expect(readdirSync(dataDir).filter((name) => name.startsWith(masterKeyFileName))).toEqual([
      masterKeyFileName,
    ]);
    await (await openLockbox({ dataDir })).close();
  });

  it("accepts only one of several different keys starting a new data folder at once", async () => {
    const keys = [encoded(32), encoded(32), encoded(32)];
    const results = await Promise.allSettled(keys.map((encodedKey) => openLockbox({ dataDir, encodedKey })));
    const opened = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    await Promise.all(opened.map((lockbox) => lockbox.close()));
    expect(opened).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toBeInstanceOf(IntegrityError);
    }
    // Afterwards, the store still knows exactly one key.
    const reopened = await Promise.allSettled(keys.map((encodedKey) => openLockbox({ dataDir, encodedKey })));
    for (const result of reopened) if (result.status === "fulfilled") await result.value.close();
    expect(reopened.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });
});
