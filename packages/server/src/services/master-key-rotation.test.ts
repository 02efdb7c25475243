import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  encodeMasterKeys,
  generateMasterKey,
  loadMasterKeys,
  type MasterKey,
  writeKeyFile,
} from "../crypto/master-key.js";
import { IntegrityError } from "../shared/errors.js";
import {
  makeTempDir,
  openTempLockbox,
  removeTempDir,
  type TempLockbox,
} from "../test-support/temp-lockbox.js";
import { dropTestDatabase, openRawDatabase } from "../test-support/test-database.js";

const main = "main";
let dataDir: string;
let oldKey: MasterKey;
let newKey: MasterKey;
const open: TempLockbox[] = [];

beforeEach(() => {
  dataDir = makeTempDir();
  [oldKey, newKey] = [generateMasterKey(), generateMasterKey()];
});
afterEach(async () => {
  for (const box of open.splice(0)) await box.close();
  await dropTestDatabase(dataDir);
  removeTempDir(dataDir);
});

/** A Lockbox on the shared data folder holding `keys` (in LOCKBOX_MASTER_KEY), or the key file's. */
async function openWith(keys?: MasterKey[]): Promise<TempLockbox> {
  const box = await openTempLockbox({ dataDir, ...(keys ? { encodedKey: encodeMasterKeys(keys) } : {}) });
  open.push(box);
  return box;
}

/** Ten secrets of three versions each, written under the old key; returns their values by name. */
async function fill(box: TempLockbox): Promise<Map<string, Record<string, string>>> {
  const expected = new Map<string, Record<string, string>>();
  for (let i = 0; i < 10; i++) {
    const ref = { environment: main, name: `s${i}` };
    await box.services.secrets.create(box.admin, { ...ref, values: { V: `rotation-${i}-1` } });
    await box.services.secrets.update(box.admin, { ...ref, set: { V: `rotation-${i}-2` } });
    await box.services.secrets.update(box.admin, { ...ref, set: { W: `rotation-${i}-3` } });
    expected.set(ref.name, { V: `rotation-${i}-2`, W: `rotation-${i}-3` });
  }
  return expected;
}

async function keyIdsInUse(): Promise<{
  versions: string[];
  storeKeys: string[];
  statuses: Record<string, string>;
}> {
  const db = openRawDatabase(dataDir);
  try {
    const versions = await sql<{ key_id: string }>`select distinct key_id from secret_versions`.execute(db);
    const storeKeys = await sql<{ key_id: string }>`select distinct key_id from store_keys`.execute(db);
    const statuses = await sql<{ id: string; status: string }>`select id, status from master_keys`.execute(
      db,
    );
    return {
      versions: versions.rows.map((row) => row.key_id),
      storeKeys: storeKeys.rows.map((row) => row.key_id),
      statuses: Object.fromEntries(statuses.rows.map((row) => [row.id, row.status])),
    };
  } finally {
    await db.destroy();
  }
}

/** With the new key alone: every value, every old version and the audit chain read as before. */
async function expectReadableWithNewKeyAlone(expected: Map<string, Record<string, string>>): Promise<void> {
  const box = await openWith([newKey]);
  for (const [name, values] of expected) {
    const ref = { environment: main, name };
    expect((await box.services.secrets.reveal(box.admin, ref)).values).toEqual(values);
    expect((await box.services.secrets.reveal(box.admin, { ...ref, version: 1 })).values.V).toMatch(/-1$/);
  }
  expect((await box.services.audit.verify(box.admin)).problems).toEqual([]);
}

describe("rotating the master key", () => {
  it("re-wraps every data key under the new key, after which the old key is not needed", async () => {
    const expected = await fill(await openWith([oldKey]));
    const rotator = await openWith([newKey, oldKey]);
    expect(await rotator.lockbox.rotateMasterKey()).toEqual({ keyId: newKey.id, rewrapped: 30 });

    expect(await keyIdsInUse()).toEqual({
      versions: [newKey.id],
      storeKeys: [newKey.id],
      statuses: { [oldKey.id]: "retired", [newKey.id]: "current" },
    });
    await expectReadableWithNewKeyAlone(expected);
    await expect(openWith([oldKey])).rejects.toThrow(IntegrityError);
    // Rotating again to the same key has nothing left to do.
    expect(await rotator.lockbox.rotateMasterKey()).toEqual({ keyId: newKey.id, rewrapped: 0 });
  });

  it("re-wraps the identity signing key too: the new key alone serves the same keys", async () => {
    const before = await (await openWith([oldKey])).lockbox.identity.jwks();
    await (await openWith([newKey, oldKey])).lockbox.rotateMasterKey();
    expect((await keyIdsInUse()).storeKeys).toEqual([newKey.id]);
    expect(await (await openWith([newKey])).lockbox.identity.jwks()).toEqual(before);
  });

  it("goes on where it stopped after an interruption", async () => {
    const expected = await fill(await openWith([oldKey]));
    const rotator = await openWith([newKey, oldKey]);
    const interrupted = rotator.lockbox.rotateMasterKey({
      batchSize: 4,
      onProgress: (rewrapped) => {
        if (rewrapped >= 8) throw new Error("interrupted");
      },
    });
    await expect(interrupted).rejects.toThrow("interrupted");
    const halfway = await keyIdsInUse();
    expect(halfway.versions.sort()).toEqual([newKey.id, oldKey.id].sort());
    expect(halfway.statuses).toEqual({ [oldKey.id]: "previous", [newKey.id]: "current" });

    expect(await rotator.lockbox.rotateMasterKey({ batchSize: 4 })).toEqual({
      keyId: newKey.id,
      rewrapped: 22,
    });
    await expectReadableWithNewKeyAlone(expected);
  });

  it("lets another instance go on reading and writing while it rotates", async () => {
    // The serving instance holds both keys, old first, as LOCKBOX_MASTER_KEY would before a rotation.
    const serving = await openWith([oldKey, newKey]);
    const expected = await fill(serving);
    const rotator = await openWith([newKey, oldKey]);
    let rotating = true;
    const traffic = (async () => {
      let round = 0;
      for (; rotating || round < 5; round++) {
        const ref = { environment: main, name: `s${round % 10}` };
        const { values } = await serving.services.secrets.reveal(serving.admin, ref);
        expect(values.V).toBe(expected.get(ref.name)?.V);
        await serving.services.secrets.update(serving.admin, { ...ref, set: { W: `during-${round}` } });
        expected.set(ref.name, { ...values, W: `during-${round}` });
        // Each round like a request of its own: SQLite answers synchronously, so without a turn
        // of the event loop here the rotation's timers would never run.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return round;
    })();
    try {
      await rotator.lockbox.rotateMasterKey({ batchSize: 2 });
    } finally {
      rotating = false;
    }
    expect(await traffic).toBeGreaterThanOrEqual(5);
    // Writes made during the rotation are under the new key too: nothing is left under the old one.
    expect((await keyIdsInUse()).versions).toEqual([newKey.id]);
    await expectReadableWithNewKeyAlone(expected);
  });

  it("lets a server on the key file pick up the new key from the file, without a restart", async () => {
    const serving = await openWith(); // makes the key file, with one key
    const expected = await fill(serving);
    const [fileKey] = loadMasterKeys({ dataDir }) as [MasterKey];
    writeKeyFile(dataDir, [newKey, fileKey]);
    const rotator = await openWith();
    expect(await rotator.lockbox.rotateMasterKey()).toEqual({ keyId: newKey.id, rewrapped: 30 });
    writeKeyFile(dataDir, [newKey]);

    // The server still holds only the old key: it reads the file again when it meets the new one.
    const ref = { environment: main, name: "s0" };
    expect((await serving.services.secrets.reveal(serving.admin, ref)).values).toEqual(expected.get("s0"));
    await serving.services.secrets.update(serving.admin, { ...ref, set: { W: "after" } });
    expected.set("s0", { ...expected.get("s0"), W: "after" });
    expect((await keyIdsInUse()).versions).toEqual([newKey.id]);
    await expectReadableWithNewKeyAlone(expected);
  });
});
