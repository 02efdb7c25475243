import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IntegrityError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";
import { openRawDatabase } from "../test-support/test-database.js";

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

// biome-ignore lint/suspicious/noExplicitAny: raw SQL, as an attacker would write it
type RawDatabase = Kysely<any>;

/** Changes the database behind the Lockbox's back, as someone with access to it could. */
async function tamper(change: (db: RawDatabase) => Promise<unknown>): Promise<void> {
  const db = openRawDatabase(dataDir);
  try {
    await change(db);
  } finally {
    await db.destroy();
  }
}

async function secretId(db: RawDatabase, name: string, environment = main): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    select s.id from secrets s join environments e on e.id = s.environment_id
    where s.name = ${name} and e.name = ${environment}`.execute(db);
  if (!rows[0]) throw new Error(`no secret ${name}`);
  return rows[0].id;
}

async function versionRow(db: RawDatabase, id: string, version: number): Promise<VersionRow> {
  const { rows } = await sql<VersionRow>`
    select * from secret_versions where secret_id = ${id} and version = ${version}`.execute(db);
  if (!rows[0]) throw new Error(`no version ${version}`);
  return rows[0];
}

function setSealed(db: RawDatabase, id: string, version: number, from: VersionRow) {
  return sql`
    update secret_versions set key_id = ${from.key_id}, wrapped_key = ${from.wrapped_key}, ciphertext = ${from.ciphertext}
    where secret_id = ${id} and version = ${version}`.execute(db);
}

/** Every way of reading the values fails with IntegrityError, and no message shows a value. */
async function expectIntegrityFailure(name: string, environment = main) {
  const secrets = box.services.secrets;
  const ref = { environment, name };
  const reads = [
    () => secrets.reveal(box.admin, ref),
    () => secrets.export(box.admin, { ...ref, format: "json" }),
    () => secrets.resolve(box.admin, { environment, secrets: [{ name }] }),
    () => secrets.update(box.admin, { ...ref, set: { NEW: "x" } }),
  ];
  for (const read of reads) {
    const error = await read().then(
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
    await tamper(async (db) => {
      const alpha = await secretId(db, "alpha");
      const beta = await secretId(db, "beta");
      const alphaRow = await versionRow(db, alpha, 1);
      const betaRow = await versionRow(db, beta, 1);
      await setSealed(db, alpha, 1, betaRow);
      await setSealed(db, beta, 1, alphaRow);
      // beta is at version 2; point it at its (swapped) version 1.
      await sql`update secrets set version = 1 where id = ${beta}`.execute(db);
    });
    await expectIntegrityFailure("alpha");
    await expectIntegrityFailure("beta");
  });

  it("refuses a version's ciphertext and data key copied onto another secret", async () => {
    await tamper(async (db) =>
      setSealed(db, await secretId(db, "alpha"), 1, await versionRow(db, await secretId(db, "beta"), 2)),
    );
    await expectIntegrityFailure("alpha");
    // The source is untouched and still reads.
    const { values } = await box.services.secrets.reveal(box.admin, { environment: main, name: "beta" });
    expect(values).toEqual({ B: `${canary}-beta-2` });
  });

  it("refuses an old version replayed as the current one", async () => {
    await tamper(async (db) => {
      const beta = await secretId(db, "beta");
      await setSealed(db, beta, 2, await versionRow(db, beta, 1));
    });
    await expectIntegrityFailure("beta");
  });

  it("refuses the same secret's ciphertext moved to another environment", async () => {
    await tamper(async (db) =>
      setSealed(
        db,
        await secretId(db, "alpha", "prod"),
        1,
        await versionRow(db, await secretId(db, "alpha"), 1),
      ),
    );
    await expectIntegrityFailure("alpha", "prod");
  });

  it("refuses a secret row moved to another environment", async () => {
    await tamper(async (db) => {
      const beta = await secretId(db, "beta");
      await sql`update secrets set environment_id = (select id from environments where name = 'prod')
        where id = ${beta}`.execute(db);
    });
    await expectIntegrityFailure("beta", "prod");
  });

  it("refuses a single flipped bit in the ciphertext or the wrapped key", async () => {
    await tamper(async (db) => {
      const alpha = await secretId(db, "alpha");
      const row = await versionRow(db, alpha, 1);
      const ciphertext = Buffer.from(row.ciphertext);
      ciphertext[20] = (ciphertext[20] ?? 0) ^ 0x80;
      await setSealed(db, alpha, 1, { ...row, ciphertext });
      const beta = await secretId(db, "beta");
      const betaRow = await versionRow(db, beta, 2);
      const wrappedKey = Buffer.from(betaRow.wrapped_key);
      wrappedKey[wrappedKey.length - 1] = (wrappedKey[wrappedKey.length - 1] ?? 0) ^ 0x01;
      await setSealed(db, beta, 2, { ...betaRow, wrapped_key: wrappedKey });
    });
    await expectIntegrityFailure("alpha");
    await expectIntegrityFailure("beta");
  });

  it("names the master key when a version claims another one", async () => {
    await tamper((db) => sql`update secret_versions set key_id = 'ffffffffffffffff'`.execute(db));
    await expect(
      box.services.secrets.reveal(box.admin, { environment: main, name: "alpha" }),
    ).rejects.toThrow(
      "Secret 'alpha' version 1 is encrypted under master key ffffffffffffffff, which this process does not hold",
    );
  });

  it("writes no new version when the current one fails its check", async () => {
    await tamper(async (db) =>
      setSealed(db, await secretId(db, "alpha"), 1, await versionRow(db, await secretId(db, "beta"), 1)),
    );
    await expect(
      box.services.secrets.update(box.admin, { environment: main, name: "alpha", set: { A: "new" } }),
    ).rejects.toThrow(IntegrityError);
    const history = await box.services.secrets.history(box.admin, { environment: main, name: "alpha" });
    expect(history.map((entry) => entry.version)).toEqual([1]);
  });
});
