import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

/** Every file under `dir`, read as raw bytes. */
function readAllFiles(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? readAllFiles(path) : [{ path, bytes: readFileSync(path) }];
  });
}

/** The forms a value could take on disk if it were stored unencrypted. */
function encodings(text: string): Buffer[] {
  const utf8 = Buffer.from(text);
  return [
    utf8,
    Buffer.from(text, "utf16le"),
    Buffer.from(utf8.toString("base64")),
    Buffer.from(utf8.toString("base64url")),
    Buffer.from(utf8.toString("hex")),
    Buffer.from(utf8.toString("hex").toUpperCase()),
    Buffer.from(JSON.stringify(text)),
  ];
}

/** The files (and encodings) in which `text` is found. */
function findOnDisk(dir: string, text: string): string[] {
  const found: string[] = [];
  for (const { path, bytes } of readAllFiles(dir)) {
    encodings(text).forEach((encoded, i) => {
      if (bytes.includes(encoded)) found.push(`${path} (encoding ${i})`);
    });
  }
  return found;
}

describe("secret values at rest", () => {
  let box: TempLockbox;
  beforeEach(async () => {
    box = await openTempLockbox();
  });
  afterEach(async () => {
    await box.dispose();
  });

  it("never writes a value to any file of the data folder, nor to the audit log", async () => {
    // Long and random, so that a match cannot be a coincidence.
    const canary = `CANARY${randomBytes(24).toString("hex")}`;
    const canaries = [`${canary}0`, `${canary}1`, `${canary}2`, `${canary}3`];
    const secrets = box.services.secrets;
    const ref = { environment: "main", name: "at-rest-marker-name" };

    await secrets.create(box.admin, { ...ref, values: { CREATED: canaries[0] ?? "" } });
    await secrets.update(box.admin, { ...ref, set: { UPDATED: canaries[1] ?? "" } });
    await secrets.create(box.admin, { ...ref, values: { REPLACED: canaries[2] ?? "" }, ifExists: "replace" });
    await secrets.rollback(box.admin, { ...ref, version: 2 });
    await secrets.update(box.admin, { ...ref, set: { MULTI: `${canaries[3]}\nsecond line` } });
    // Reads write audit entries and "last used at": they must not leak either.
    await secrets.reveal(box.admin, ref);
    await secrets.export(box.admin, { ...ref, format: "dotenv" });
    await secrets.resolve(box.admin, { environment: "main", secrets: [{ name: ref.name }] });
    // A failed write with a value in it must not leave the value anywhere.
    await expect(secrets.update(box.admin, { ...ref, set: { BAD: `${canary}\0` } })).rejects.toThrow();

    const { values } = await secrets.reveal(box.admin, ref);
    expect(values.MULTI).toBe(`${canaries[3]}\nsecond line`);
    expect(values.CREATED).toBe(canaries[0]);

    const audit = JSON.stringify(await box.services.audit.list(box.admin, { limit: 1000 }));
    expect(audit).toContain("secret.resolve");
    expect(audit).not.toContain(canary);
    expect(JSON.stringify(await secrets.history(box.admin, ref))).not.toContain(canary);

    // While open (the WAL holds the latest pages) and after closing (checkpointed into the file).
    expect(readdirSync(box.dataDir)).toEqual(expect.arrayContaining(["lockbox.db-wal", "lockbox.db-shm"]));
    expect(findOnDisk(box.dataDir, canary)).toEqual([]);
    await box.close();
    const files = readdirSync(box.dataDir);
    expect(files).toContain("lockbox.db");
    expect(files).toContain("master.key");
    expect(findOnDisk(box.dataDir, canary)).toEqual([]);
    for (const value of canaries) expect(findOnDisk(box.dataDir, value)).toEqual([]);

    // The scan itself works: the secret's name, which is not secret, is there in plain text.
    expect(findOnDisk(box.dataDir, ref.name).length).toBeGreaterThan(0);
  });
});
