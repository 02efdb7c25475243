import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./free-port.js";

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
  /** SIGKILLs the postmaster and every process it started, as a crash would, and waits until they are gone. */
  crash(): Promise<void>;
  /** Starts it again on the same data folder, port and settings (after `crash`: with crash recovery from WAL). */
  start(): void;
  stop(): void;
}

// PostgreSQL refuses to run as root: as root, it runs as this system user.
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

/** The fields of /proc/PID/stat after the name: state, parent PID…; undefined once it is gone. */
function processStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

const processState = (pid: number) => processStat(pid)?.[0];

function childPids(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(processStat(entry)?.[1]) === pid)
    .map(Number);
}

// Dead or a zombie: this machine's init does not reap orphans, so a killed postmaster stays a zombie.
const gone = (pid: number) => ["Z", undefined].includes(processState(pid));

/** The PID in the postmaster's lock file in `dataDir`, if there is one. */
function lockFilePid(dataDir: string): number | undefined {
  const lockFile = join(dataDir, "postmaster.pid");
  return existsSync(lockFile) ? Number(readFileSync(lockFile, "utf8").split("\n")[0]) : undefined;
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; !condition(); attempt++) {
    if (attempt >= 1000) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * SIGKILLs the postmaster whose lock file is in `dataDir` and all its children: unlike `pg_ctl
 * stop -m immediate`, no process gets to say goodbye to its clients or remove its lock file and
 * shared memory. Stopped first, so that it forks no child that the kill would miss.
 */
async function killPostmaster(dataDir: string): Promise<void> {
  const postmaster = lockFilePid(dataDir);
  if (postmaster === undefined) throw new Error(`no postmaster runs in ${dataDir}`);
  process.kill(postmaster, "SIGSTOP");
  await waitUntil(() => processState(postmaster) === "T", `postmaster ${postmaster} stops`);
  const processes = [...childPids(postmaster), postmaster];
  for (const pid of processes) process.kill(pid, "SIGKILL");
  await waitUntil(() => processes.every(gone), "PostgreSQL's processes are gone");
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
    const start = () => {
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
    };
    start();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      dataDir,
      createDatabase: (options) => createDatabase(url, options),
      dropDatabase: (databaseUrl) => dropDatabase(url, databaseUrl),
      async crash() {
        await killPostmaster(dataDir);
        started = false;
      },
      start() {
        const pid = lockFilePid(dataDir);
        // A killed postmaster leaves its lock files, and PostgreSQL takes a zombie's PID for a live server.
        if (pid !== undefined && gone(pid)) {
          for (const lockFile of [
            join(dataDir, "postmaster.pid"),
            join(socketDir, `.s.PGSQL.${port}.lock`),
          ]) {
            rmSync(lockFile, { force: true });
          }
        }
        start();
      },
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
