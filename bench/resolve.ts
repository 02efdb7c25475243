// Resolve throughput: the call a container start makes for its merged environment, against the
// real server on SQLite and on PostgreSQL, beside a bare Fastify route as the baseline.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ChildServer, startChildServer } from "./child-server.js";
import { type LoadRequest, loadRun } from "./http-load.js";
import { startPostgresServer } from "./internals.js";
import { benchSecrets, resolveBody } from "./resolve-secrets.js";
import { median, round } from "./stats.js";

const cli = fileURLToPath(new URL("../packages/lockbox/dist/cli/main.js", import.meta.url));
const bareServer = fileURLToPath(new URL("bare-server.ts", import.meta.url));
const resolvePath = "/v1/environments/main/resolve";
const connections = 50;

/** The real `lockbox server` with its own data folder, on SQLite or on `databaseUrl`. */
export function startLockbox(
  label: string,
  { home, token, databaseUrl }: { home: string; token: string; databaseUrl?: string },
): Promise<ChildServer> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOCKBOX_HOME: home,
    LOCKBOX_BOOTSTRAP_TOKEN: token,
    LOCKBOX_LOG_LEVEL: "warn",
  };
  // The data folder's key file, and the store named on the command line only.
  for (const name of ["LOCKBOX_SERVER_URL", "LOCKBOX_DATABASE_URL", "LOCKBOX_MASTER_KEY"]) delete env[name];
  const args = [cli, "server", "--port", "0", ...(databaseUrl ? ["--database-url", databaseUrl] : [])];
  return startChildServer(label, args, { env });
}

async function createSecrets(label: string, url: string, token: string): Promise<void> {
  for (const secret of benchSecrets) {
    const response = await fetch(`${url}/v1/environments/main/secrets`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(secret),
    });
    if (!response.ok) throw new Error(`${label}: creating ${secret.name} answered ${response.status}`);
  }
}

/** A server under load, named in errors; `path` is a GET sent instead of the resolve. */
interface Target extends ChildServer {
  label: string;
  path?: string;
}

/** Starts the three targets (PostgreSQL's initdb while the others start); `dispose` stops them all. */
async function setUp(token: string): Promise<{ targets: Target[]; dispose: () => Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), "lockbox-bench-resolve-"));
  const servers: ChildServer[] = [];
  let postgres: Awaited<ReturnType<typeof startPostgresServer>> | undefined;
  const dispose = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    postgres?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  const track = async (label: string, started: Promise<ChildServer>): Promise<Target> => {
    const server = await started;
    servers.push(server);
    return { label, ...server };
  };
  const startOnSqlite = async () => {
    const home = join(root, "sqlite");
    mkdirSync(home);
    return track("SQLite", startLockbox("lockbox server on SQLite", { home, token }));
  };
  const startOnPostgres = async () => {
    postgres = await startPostgresServer({ durable: true });
    const databaseUrl = await postgres.createDatabase({ name: "lockbox_bench" });
    const home = join(root, "postgres");
    mkdirSync(home);
    return track("PostgreSQL", startLockbox("lockbox server on PostgreSQL", { home, token, databaseUrl }));
  };
  try {
    // Settle all before giving up, so that dispose sees every server that did start.
    const started = await Promise.allSettled([
      track("bare Fastify", startChildServer("bare Fastify server", ["--import", "tsx", bareServer])),
      startOnSqlite(),
      startOnPostgres(),
    ]);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const targets = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    for (const target of targets.slice(1)) await createSecrets(target.label, target.url, token);
    return { targets, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * Median requests/s, p99 and server CPU time per request of each target over `runs` runs after
 * one warm-up, the targets taking turns so that the machine's noise falls on each alike. A target
 * sends the resolve unless it names another `path` (a GET).
 */
async function measure(
  targets: Target[],
  token: string,
  { runs, durationSeconds, warmupSeconds }: { runs: number; durationSeconds: number; warmupSeconds: number },
) {
  const authorization = `Bearer ${token}`;
  const resolve: LoadRequest = {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: resolveBody,
  };
  type Sample = Awaited<ReturnType<typeof loadRun>> & { cpuUsPerRequest: number };
  const samples = targets.map((): Sample[] => []);
  for (let turn = 0; turn <= runs; turn++) {
    for (const [i, target] of targets.entries()) {
      const options = { connections, durationSeconds: turn === 0 ? warmupSeconds : durationSeconds };
      const [path, request]: [string, LoadRequest] = target.path
        ? [target.path, { method: "GET", headers: { authorization } }]
        : [resolvePath, resolve];
      const cpuBefore = target.cpuMs();
      const sample = await loadRun(target.label, `${target.url}${path}`, request, options).catch(
        (error: Error) => {
          const stderr = target.stderr();
          throw stderr ? new Error(`${error.message}; its stderr: ${stderr}`, { cause: error }) : error;
        },
      );
      const cpuUsPerRequest = ((target.cpuMs() - cpuBefore) * 1000) / (sample.rps * options.durationSeconds);
      if (turn > 0) samples[i]?.push({ ...sample, cpuUsPerRequest });
    }
  }
  const medianOf = (runSamples: Sample[], field: keyof Sample) =>
    median(runSamples.map((sample) => sample[field]));
  return samples.map((runSamples) => ({
    rps: Math.round(medianOf(runSamples, "rps")),
    p99Ms: round(medianOf(runSamples, "p99Ms")),
    cpuUsPerRequest: Math.round(medianOf(runSamples, "cpuUsPerRequest")),
  }));
}

export async function resolveBenchmarks({ quick }: { quick: boolean }) {
  const token = `lbx_bench_${randomBytes(16).toString("hex")}`;
  const { targets, dispose } = await setUp(token);
  // Ctrl-C must not leave the PostgreSQL server behind.
  const interrupted = () => void dispose().finally(() => process.exit(130));
  process.once("SIGINT", interrupted);
  try {
    // In a full run, the same SQLite server answering an authenticated request that reads no
    // value and leaves no audit entry: how near to the bare route the HTTP stack alone comes.
    const sqliteServer = targets.find((target) => target.label === "SQLite");
    if (!sqliteServer) throw new Error("the SQLite server did not start");
    const floor = { ...sqliteServer, label: "SQLite, GET /v1/environments", path: "/v1/environments" };
    const [bare, sqlite, postgres, authenticated] = await measure(
      quick ? targets : [...targets, floor],
      token,
      quick
        ? { runs: 2, durationSeconds: 2, warmupSeconds: 1 }
        : { runs: 5, durationSeconds: 5, warmupSeconds: 3 },
    );
    if (!bare || !sqlite || !postgres) throw new Error("a target was not measured");
    const versusBare = <F extends { rps: number }>(figures: F) => ({
      ...figures,
      ratio: round(figures.rps / bare.rps),
    });
    return {
      ...versusBare(sqlite),
      bareRps: bare.rps,
      bareP99Ms: bare.p99Ms,
      bareCpuUsPerRequest: bare.cpuUsPerRequest,
      postgres: versusBare(postgres),
      ...(authenticated && { authenticatedGet: versusBare(authenticated) }),
    };
  } finally {
    process.off("SIGINT", interrupted);
    await dispose();
  }
}
