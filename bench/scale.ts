// Scale: listing the first page and resolving on a store of 100,000 secrets of 10 keys (5,000
// with --quick) against a store of 100, each served by `lockbox server` on SQLite; the large
// store's creation time and its server's resident memory.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildServer } from "./child-server.js";
import { type LoadRequest, loadRun } from "./http-load.js";
import { startLockbox } from "./resolve.js";
import { createOverHttp, createThroughLibrary, secretName, secretsPerTransaction } from "./scale-store.js";
import { median, round } from "./stats.js";

const baselineSecrets = 100;
const inFlight = 64; // creates over HTTP
const connections = 2; // a moderate load: latency, not throughput

/** The server's resident memory in MB (Linux: VmRSS); undefined where /proc is not there. */
function residentMb(pid: number): number | undefined {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return undefined;
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(status, "utf8"))?.[1];
  return kb === undefined ? undefined : round(Number(kb) / 1024, 1);
}

/** The SQLite database and its write-ahead log, in MB. */
function databaseMb(home: string): number {
  const bytes = ["lockbox.db", "lockbox.db-wal"]
    .map((name) => join(home, name))
    .filter((path) => existsSync(path))
    .reduce((sum, path) => sum + statSync(path).size, 0);
  return round(bytes / 2 ** 20, 1);
}

/** A resolve of 3 secrets: the store's first, middle and last created. */
const resolveBody = (secrets: number) =>
  JSON.stringify({
    secrets: [0, Math.floor(secrets / 2), secrets - 1].map((i) => ({ name: secretName(i) })),
  });

/** Starts a server on each of `homes`; `stop` stops every one that started. */
async function startServers(
  token: string,
  homes: Record<string, string>,
): Promise<{ servers: ChildServer[]; stop: () => Promise<void> }> {
  const started = await Promise.allSettled(
    Object.entries(homes).map(([label, home]) =>
      startLockbox(`lockbox server on the ${label} store`, { home, token }),
    ),
  );
  const servers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { servers, stop };
}

/** A store under measure: its server, and how many secrets it holds. */
interface MeasuredStore {
  label: string;
  server: ChildServer;
  secrets: number;
}

type Latency = Awaited<ReturnType<typeof loadRun>>;
type StoreName = "large" | "baseline";
type Pair = Record<StoreName, Latency>;
type RequestOf = (store: MeasuredStore) => { path: string; request: LoadRequest };

/** The requests measured: the first page of the listing, and a resolve of 3 secrets. */
function requestsOf(token: string): Record<"list" | "resolve", RequestOf> {
  const authorization = `Bearer ${token}`;
  return {
    list: () => ({
      path: "/v1/environments/main/secrets",
      request: { method: "GET", headers: { authorization } },
    }),
    resolve: (store: MeasuredStore) => ({
      path: "/v1/environments/main/resolve",
      request: {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: resolveBody(store.secrets),
      },
    }),
  };
}

/** Medians of each store's p50 and p99, and of the ratio of their p50s turn by turn. */
function summarise(pairs: Pair[]) {
  const medianOf = (pick: (pair: Pair) => number) => round(median(pairs.map(pick)));
  return {
    p50Ms: medianOf(({ large }) => large.p50Ms),
    p99Ms: medianOf(({ large }) => large.p99Ms),
    baselineP50Ms: medianOf(({ baseline }) => baseline.p50Ms),
    baselineP99Ms: medianOf(({ baseline }) => baseline.p99Ms),
    ratio: medianOf(({ large, baseline }) => large.p50Ms / baseline.p50Ms),
  };
}

/**
 * Latency of listing and resolving on both stores, over `runs` runs after one warm-up. The stores
 * take turns, so that the machine's noise falls on both alike, and each ratio is the median of
 * the ratios within a turn: the load of a busy machine drifts more from turn to turn than within.
 */
async function measure(
  stores: Record<StoreName, MeasuredStore>,
  token: string,
  { runs, requests, warmupRequests }: { runs: number; requests: number; warmupRequests: number },
) {
  const pairs: Record<"list" | "resolve", Pair[]> = { list: [], resolve: [] };
  for (let turn = 0; turn <= runs; turn++) {
    const requestOf = requestsOf(token);
    for (const kind of ["list", "resolve"] as const) {
      const pair: Partial<Pair> = {};
      // Which store goes first alternates too.
      for (const name of turn % 2 ? (["large", "baseline"] as const) : (["baseline", "large"] as const)) {
        const store = stores[name];
        const { path, request } = requestOf[kind](store);
        const options = { connections, requests: turn === 0 ? warmupRequests : requests };
        pair[name] = await loadRun(`${store.label}, ${kind}`, `${store.server.url}${path}`, request, options);
      }
      if (turn > 0) pairs[kind].push(pair as Pair);
    }
  }
  return { list: summarise(pairs.list), resolve: summarise(pairs.resolve) };
}

const withoutRatio = ({ ratio: _ratio, ...figures }: ReturnType<typeof summarise>) => figures;

/** How long creating `secrets` took, and at what rate. */
const creation = (secrets: number, seconds: number, how: Record<string, number>) => ({
  secrets,
  ...how,
  seconds: round(seconds, 1),
  perSecond: Math.round(secrets / seconds),
});

/**
 * The large store's bulk goes in through the library before its server starts; its last
 * `httpSecrets` over HTTP, as any client creates them, for the rate at that size.
 */
export async function scaleBenchmarks({ quick }: { quick: boolean }) {
  const secrets = quick ? 5000 : 100_000;
  const httpSecrets = quick ? 200 : 2000;
  const bulk = secrets - httpSecrets;
  const token = `lbx_bench_${randomBytes(16).toString("hex")}`;
  const root = mkdtempSync(join(tmpdir(), "lockbox-bench-scale-"));
  const homes = { baseline: join(root, "baseline"), large: join(root, "large") };
  for (const home of Object.values(homes)) mkdirSync(home);
  let stopServers = async () => {};
  try {
    const librarySeconds = await createThroughLibrary(homes.large, { from: 0, to: bulk });
    const { servers, stop } = await startServers(token, homes);
    stopServers = stop;
    const [baseline, large] = servers;
    if (!baseline || !large) throw new Error("a server did not start");
    const httpSeconds = await createOverHttp("large store", large.url, token, {
      from: bulk,
      to: secrets,
      inFlight,
    });
    await createOverHttp("store of 100", baseline.url, token, { from: 0, to: baselineSecrets, inFlight });
    const { list, resolve } = await measure(
      {
        baseline: { label: "store of 100", server: baseline, secrets: baselineSecrets },
        large: { label: `store of ${secrets}`, server: large, secrets },
      },
      token,
      quick
        ? { runs: 5, requests: 100, warmupRequests: 100 }
        : { runs: 15, requests: 500, warmupRequests: 1000 },
    );
    return {
      secrets,
      baselineSecrets,
      keysPerSecret: 10,
      createSeconds: round(librarySeconds + httpSeconds, 1),
      create: {
        library: creation(bulk, librarySeconds, { secretsPerTransaction }),
        http: creation(httpSecrets, httpSeconds, { inFlight }),
      },
      connections,
      list: withoutRatio(list),
      resolve: withoutRatio(resolve),
      listRatio: list.ratio,
      resolveRatio: resolve.ratio,
      rssMb: residentMb(large.pid),
      baselineRssMb: residentMb(baseline.pid),
      databaseMb: databaseMb(homes.large),
    };
  } finally {
    await stopServers();
    rmSync(root, { recursive: true, force: true });
  }
}
