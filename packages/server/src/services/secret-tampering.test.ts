import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseFileName } from "../lockbox.js";
import { IntegrityError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

interface VersionRow {
  secret_id: string;
  version: number;
  key_id: string;
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

const main = "main";
const canary = "CANARY-tamper-3e8d1c";

let box: TempLockbox;
let dataDir: string;

beforeEach(async () => {
  const first = await openTempLockbox();
  dataDir = first.dataDir;
  const secrets = first.services.secrets;
  await first.services.environments.create(first.admin, "prod");
  await secrets.create(first.admin, { environment: main, name: "alpha", values: { A: `${canary}-alpha` } });
  await secrets.create(first.admin, { environment: main, name: "beta", values: { B: `${canary}-beta` } });
  await secrets.update(first.admin, { environment: main, name: "beta", set: { B: `${canary}-beta-2` } });
  await secrets.create(first.admin, { environment: "prod", name: "alpha", values: { A: `${canary}-prod` } });
  await first.close();
  box = await openTempLockbox({ dataDir });
});

afterEach(async () => {
  await box.dispose();
});

/** Changes the database behind the Lockbox's back, as someone with access to the file could. */
function tamper(change: (db: SqliteDatabase.Database) => void): void {
  const db = new SqliteDatabase(join(dataDir, databaseFileName));
  try {
    change(db);
  } finally {
    db.close();
  }
}

function secretId(db: SqliteDatabase.Database, name: string, environment = main): string {
  const row = db
    .prepare(
      "select s.id from secrets s join environments e on e.id = s.environment_id where s.name = ? and e.name = ?",
    )
    .get(name, environment) as { id: string } | undefined;
  if (!row) throw new Error(`no secret ${name}`);
  return row.id;
}

function versionRow(db: SqliteDatabase.Database, id: string, version: number): VersionRow {
  return db
    .prepare("select * from secret_versions where secret_id = ? and version = ?")
    .get(id, version) as VersionRow;
}

function setSealed(db: SqliteDatabase.Database, id: string, version: number, from: VersionRow): void {
  db.prepare(
    "update secret_versions set key_id = ?, wrapped_key = ?, ciphertext = ? where secret_id = ? and version = ?",
  ).run(from.key_id, from.wrapped_key, from.ciphertext, id, version);
}

/** Every way of reading the values fails with IntegrityError, and no message shows a value. */
async function expectIntegrityFailure(name: string, environment = main) {
  const secrets = box.services.secrets;
  const ref = { environment, name };
  const reads = [
    secrets.reveal(box.admin, ref),
    secrets.export(box.admin, { ...ref, format: "json" }),
    secrets.resolve(box.admin, { environment, secrets: [{ name }] }),
    secrets.update(box.admin, { ...ref, set: { NEW: "x" } }),
  ];
  for (const read of reads) {
    const error = await read.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Secret '${name}' version \\d+ failed its integrity check`),
    );
    expect((error as Error).message).not.toContain(canary);
  }
}

describe("tampering with the database", () => {
  it("refuses ciphertexts swapped between two secrets", async () => {
    tamper((db) => {
      const alpha = secretId(db, "alpha");
      const beta = secretId(db, "beta");
      const alphaRow = versionRow(db, alpha, 1);
      const betaRow = versionRow(db, beta, 1);
      setSealed(db, alpha, 1, betaRow);
      setSealed(db, beta, 1, alphaRow);
      // beta is at version 2; point it at its (swapped) version 1.
      db.prepare("update secrets set version = 1 where id = ?").run(beta);
    });
    await expectIntegrityFailure("alpha");
    await expectIntegrityFailure("beta");
  });

  it("refuses a version's ciphertext and data key copied onto another secret", async () => {
    tamper((db) => setSealed(db, secretId(db, "alpha"), 1, versionRow(db, secretId(db, "beta"), 2)));
    await expectIntegrityFailure("alpha");
    // The source is untouched and still reads.
    const { values } = await box.services.secrets.reveal(box.admin, { environment: main, name: "beta" });
    expect(values).toEqual({ B: `${canary}-beta-2` });
  });

  it("refuses an old version replayed as the current one", async () => {
    tamper((db) => {
      const beta = secretId(db, "beta");
      setSealed(db, beta, 2, versionRow(db, beta, 1));
    });
    await expectIntegrityFailure("beta");
  });

  it("refuses the same secret's ciphertext moved to another environment", async () => {
    tamper((db) => setSealed(db, secretId(db, "alpha", "prod"), 1, versionRow(db, secretId(db, "alpha"), 1)));
    await expectIntegrityFailure("alpha", "prod");
  });

  it("refuses a secret row moved to another environment", async () => {
    tamper((db) => {
      const prod = db.prepare("select id from environments where name = 'prod'").get() as { id: string };
      db.prepare("update secrets set environment_id = ? where id = ?").run(prod.id, secretId(db, "beta"));
    });
    await expectIntegrityFailure("beta", "prod");
  });

  it("refuses a single flipped bit in the ciphertext or the wrapped key", async () => {
    tamper((db) => {
      const alpha = secretId(db, "alpha");
      const row = versionRow(db, alpha, 1);
      const ciphertext = Buffer.from(row.ciphertext);
      ciphertext[20] = (ciphertext[20] ?? 0) ^ 0x80;
      setSealed(db, alpha, 1, { ...row, ciphertext });
      const beta = secretId(db, "beta");
      const betaRow = versionRow(db, beta, 2);
      const wrappedKey = Buffer.from(betaRow.wrapped_key);
      wrappedKey[wrappedKey.length - 1] = (wrappedKey[wrappedKey.length - 1] ?? 0) ^ 0x01;
      setSealed(db, beta, 2, { ...betaRow, wrapped_key: wrappedKey });
    });
    await expectIntegrityFailure("alpha");
    await expectIntegrityFailure("beta");
  });

  it("names the master key when a version claims another one", async () => {
    tamper((db) => db.prepare("update secret_versions set key_id = 'ffffffffffffffff'").run());
    await expect(
      box.services.secrets.reveal(box.admin, { environment: main, name: "alpha" }),
    ).rejects.toThrow(
      "Secret 'alpha' version 1 is encrypted under master key ffffffffffffffff, not the one in use",
    );
  });

  it("writes no new version when the current one fails its check", async () => {
    tamper((db) => setSealed(db, secretId(db, "alpha"), 1, versionRow(db, secretId(db, "beta"), 1)));
    await expect(
      box.services.secrets.update(box.admin, { environment: main, name: "alpha", set: { A: "new" } }),
    ).rejects.toThrow(IntegrityError);
    const history = await box.services.secrets.history(box.admin, { environment: main, name: "alpha" });
    expect(history.map((entry) => entry.version)).toEqual([1]);
  });
});
