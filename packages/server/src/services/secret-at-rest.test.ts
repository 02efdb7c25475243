import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findOnDisk, leaveCanaryTrail } from "../test-support/at-rest.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

describe("secret values at rest", () => {
  let box: TempLockbox;
  beforeEach(async () => {
    box = await openTempLockbox();
  });
  afterEach(async () => {
    await box.dispose();
  });

  it("never writes a value to any file of the data folder, nor to the audit log", async () => {
    const { ref, canary, values: canaries } = await leaveCanaryTrail(box.services, box.admin);
    const secrets = box.services.secrets;

    const { values } = await secrets.reveal(box.admin, ref);
    expect(values.MULTI).toBe(`${canaries[3]}\nsecond line`);
    expect(values.CREATED).toBe(canaries[0]);

    const audit = JSON.stringify(await box.services.audit.list(box.admin, { limit: 1000 }));
    expect(audit).toContain("secret.resolve");
    expect(audit).not.toContain(canary);
    expect(JSON.stringify(await secrets.history(box.admin, ref))).not.toContain(canary);

    // While open (the WAL holds the latest pages) and after closing (checkpointed into the file).
    expect(readdirSync(box.dataDir)).toEqual(expect.arrayContaining(["lockbox.db-wal", "lockbox.db-shm"]));
    // Whatever the umask, the database and its WAL are for the owner alone.
    for (const file of ["lockbox.db", "lockbox.db-wal", "lockbox.db-shm", "master.key"]) {
      expect({ file, mode: statSync(join(box.dataDir, file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
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
