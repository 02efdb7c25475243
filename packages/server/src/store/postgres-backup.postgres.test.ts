import { spawnSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IntegrityError } from "../shared/errors.js";
import { findOnDisk, leaveCanaryTrail } from "../test-support/at-rest.js";
import {
  type PostgresServer,
  postgresProgram,
  startPostgresServer,
} from "../test-support/postgres-server.js";
import {
  makeTempDir,
  openTempLockbox,
  removeTempDir,
  type TempLockbox,
} from "../test-support/temp-lockbox.js";

// A server of its own, so that its data folder holds this test's database only.
let server: PostgresServer;
const boxes: TempLockbox[] = [];

beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(() => server?.stop());
afterEach(async () => {
  for (const box of boxes.splice(0)) await box.dispose();
});

async function open(options: { dataDir?: string; databaseUrl: string }): Promise<TempLockbox> {
  const box = await openTempLockbox(options);
  boxes.push(box);
  return box;
}

function runProgram(name: string, args: string[]): void {
  const result = spawnSync(postgresProgram(name), args, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${name} failed (${result.status}): ${result.stderr}`);
}

async function checkpoint(): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query("checkpoint");
  } finally {
    await client.end();
  }
}

describe("Lockbox on PostgreSQL, at rest and in backups", () => {
  it("keeps no value in the server's data files, its WAL, or a pg_dump", async () => {
    const databaseUrl = await server.createDatabase();
    const box = await open({ databaseUrl });
    const { ref, canary, values } = await leaveCanaryTrail(box.services, box.admin);
    expect((await box.services.secrets.reveal(box.admin, ref)).values.CREATED).toBe(values[0]);

    await checkpoint(); // every page written to the data files, not only to the WAL
    const dump = join(box.dataDir, "dump.sql");
    runProgram("pg_dump", ["--format=plain", "--file", dump, databaseUrl]);

    for (const path of [server.dataDir, dump]) {
      expect(findOnDisk(path, canary)).toEqual([]);
      // The scan itself works: the secret's name, which is not secret, is there in plain text.
      expect(findOnDisk(path, ref.name).length).toBeGreaterThan(0);
    }
  });

  it("restores from pg_dump with every version, audit entry and value, under its master key only", async () => {
    const databaseUrl = await server.createDatabase();
    const box = await open({ databaseUrl });
    const { secrets, audit } = box.services;
    const ref = { environment: "main", name: "payments" };
    await secrets.create(box.admin, { ...ref, values: { API_KEY: "backup-value-1" } });
    await secrets.update(box.admin, { ...ref, set: { API_KEY: "backup-value-2", REGION: "eu" } });
    await secrets.reveal(box.admin, ref);
    const before = {
      values: (await secrets.reveal(box.admin, { ...ref, version: 1 })).values,
      history: await secrets.history(box.admin, ref),
      list: await secrets.list(box.admin, { environment: "main" }),
      audit: await audit.list(box.admin),
    };
    await box.close();

    const dump = join(box.dataDir, "lockbox.dump");
    runProgram("pg_dump", ["--format=custom", "--file", dump, databaseUrl]);
    const restoredUrl = await server.createDatabase();
    runProgram("pg_restore", ["--exit-on-error", "--no-owner", "--dbname", restoredUrl, dump]);

    const restored = await open({ dataDir: box.dataDir, databaseUrl: restoredUrl });
    const again = restored.services;
    expect((await again.secrets.reveal(restored.admin, { ...ref, version: 1 })).values).toEqual(
      before.values,
    );
    expect((await again.secrets.reveal(restored.admin, ref)).values).toEqual({
      API_KEY: "backup-value-2",
      REGION: "eu",
    });
    expect(await again.secrets.history(restored.admin, ref)).toEqual(before.history);
    expect(await again.secrets.list(restored.admin, { environment: "main" })).toEqual(before.list);
    // The restored audit log holds the same entries, then the reveals just made.
    expect((await again.audit.list(restored.admin)).slice(2)).toEqual(before.audit);

    // It takes writes: versions and audit ids go on from where the dump left them.
    const updated = await again.secrets.update(restored.admin, { ...ref, set: { REGION: "us" } });
    expect(updated.version).toBe(3);

    // Without the master key, the backup is sealed.
    const strangerDir = makeTempDir();
    try {
      await expect(openTempLockbox({ dataDir: strangerDir, databaseUrl: restoredUrl })).rejects.toThrow(
        IntegrityError,
      );
    } finally {
      removeTempDir(strangerDir);
    }
  });
});
