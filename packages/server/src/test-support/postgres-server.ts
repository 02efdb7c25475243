import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The name under which the `postgres` Vitest project provides its server's URL to tests. */
export const postgresUrlKey = "lockboxPostgresUrl";
/** …and the name of its migrated template database. */
export const postgresTemplateKey = "lockboxPostgresTemplate";

/** A PostgreSQL server of its own, on loopback, in a temp folder; `stop` removes it all. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser on the maintenance database. */
  url: string;
  /** Its data folder (owned by the server's user while it runs). */
  dataDir: string;
  /** Creates a database (empty, or a copy of `template`) and returns its URL. */
  createDatabase(options?: { name?: string; template?: string }): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  stop(): void;
}

// The server refuses to run as root: as root, it runs as this system user (TOOLCHAIN.md).
const systemUser = "lockbox-pg";

function binDir(): string {
  if (process.env.LOCKBOX_PG_BIN) return process.env.LOCKBOX_PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions
    .map((version) => join(root, version, "bin"))
    .find((dir) => existsSync(join(dir, "initdb")));
  if (!found) throw new Error("PostgreSQL is not installed: run `apt-get install -y postgresql`");
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function ensureSystemUser(): { uid: number; gid: number } {
  if (spawnSync("id", ["-u", systemUser]).status !== 0) {
    const made = spawnSync("useradd", [
      "--system",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      systemUser,
    ]);
    // Another test run may have made it at the same moment.
    if (made.status !== 0 && spawnSync("id", ["-u", systemUser]).status !== 0) {
      throw new Error(`useradd ${systemUser} failed: ${made.stderr.toString()}`);
    }
  }
  const id = (flag: string) => Number(execFileSync("id", [flag, systemUser], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** The path of a PostgreSQL program (`pg_dump`, `psql`, …) of the newest installed version. */
export function postgresProgram(name: string): string {
  return join(binDir(), name);
}

/** Runs a PostgreSQL program as the server's user (itself when not root). */
function run(program: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [command, commandArgs] = asRoot
    ? ["runuser", ["-u", systemUser, "--", postgresProgram(program), ...args]]
    : [postgresProgram(program), args];
  const result = spawnSync(command, commandArgs, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${program} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

async function query(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

let databaseCount = 0;

/**
 * Creates a database on the server at `serverUrl`, empty or a copy of `template` (much faster
 * than migrating each one); returns its URL.
 */
export async function createDatabase(
  serverUrl: string,
  options: { name?: string; template?: string } = {},
): Promise<string> {
  const database = options.name ?? `lockbox_test_${process.pid}_${Date.now()}_${databaseCount++}`;
  // file_copy: about 1.5 times faster than the default wal_log here (fsync is off).
  const template = options.template ? ` template "${options.template}" strategy = file_copy` : "";
  await query(serverUrl, `create database "${database}"${template}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops the database at `databaseUrl`, closing its connections, from the server at `serverUrl`. */
export async function dropDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await query(serverUrl, `drop database if exists "${name}" with (force)`);
}

export interface PostgresServerOptions {
  /** Keep PostgreSQL's default durability (fsync, synchronous_commit, full_page_writes on); default off, for tests. */
  durable?: boolean;
  /** Start as a streaming, read-only replica of the server at this URL instead of an empty server. */
  replicaOf?: string;
}

/**
 * initdb (or pg_basebackup, for a replica) and start a throwaway server (fsync off unless
 * `durable`) on a free loopback port: about 2 s.
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const folder = mkdtempSync(join(tmpdir(), "lockbox-pg-"));
  const dataDir = join(folder, "data");
  const socketDir = join(folder, "socket");
  mkdirSync(dataDir, { mode: 0o700 });
  mkdirSync(socketDir, { mode: 0o700 });
  if (process.getuid?.() === 0) {
    const { uid, gid } = ensureSystemUser();
    for (const path of [folder, dataDir, socketDir]) chownSync(path, uid, gid);
  }
  let started = false;
  const stop = () => {
    if (started) {
      started = false;
      try {
        run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already gone: nothing to stop
      }
    }
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    if (options.replicaOf) {
      // A copy of the primary that then follows it (-R writes standby.signal and the connection).
      run("pg_basebackup", ["-d", options.replicaOf, "-D", dataDir, "-R", "-X", "stream", "--no-sync"]);
    } else {
      run("initdb", [
        "-D",
        dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ]);
    }
    const port = await freePort();
    // A benchmark against SQLite's synchronous=FULL needs `durable`; tests need speed.
    const durability = options.durable
      ? ""
      : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir}${durability} -c max_connections=200`;
    run("pg_ctl", [
      "-D",
      dataDir,
      "-l",
      join(folder, "server.log"),
      "-w",
      "-t",
      "60",
      "-o",
      settings,
      "start",
    ]);
    started = true;
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      dataDir,
      createDatabase: (options) => createDatabase(url, options),
      dropDatabase: (databaseUrl) => dropDatabase(url, databaseUrl),
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
