// `npm run bench [-- --quick]`: every benchmark, written to bench/results/latest.json and .md.
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { auditCostBenchmarks } from "./audit-cost.js";
import { containerBenchmarks } from "./containers.js";
import { dashboardBenchmarks } from "./dashboard.js";
import { resolveBenchmarks } from "./resolve.js";
import { scaleBenchmarks } from "./scale.js";
import { serverCallBenchmarks } from "./server-calls.js";

const quick = process.argv.includes("--quick");

// Each part's wall time, to keep `--quick` within its budget of a minute.
const wallSeconds: Record<string, number> = {};
async function timed<T>(name: string, benchmark: (options: { quick: boolean }) => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await benchmark({ quick });
  wallSeconds[name] = Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10;
  return result;
}

const containers = await timed("containers", containerBenchmarks);
const serverCalls = await timed("serverCalls", serverCallBenchmarks);
const dashboard = await timed("dashboard", dashboardBenchmarks);
const resolve = await timed("resolve", resolveBenchmarks);
const scale = await timed("scale", scaleBenchmarks);
// Full runs only, like the authenticated GET: `--quick` has no second to spare.
const auditCost = quick ? undefined : await timed("auditCost", auditCostBenchmarks);
const preferred = containers.find((result) => result.backend === "sandbox") ?? containers[0]; // sandbox, outbound
if (!preferred) throw new Error("no container backend was measured");
const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadAverage: loadavg().map((load) => Math.round(load * 100) / 100) },
  quick,
  wallSeconds,
  coldCall: { backend: preferred.backend, network: preferred.network, ...preferred.coldCall },
  warmCall: { backend: preferred.backend, network: preferred.network, ...preferred.warmCall },
  mapCall: { backend: preferred.backend, network: preferred.network, ...preferred.mapCall },
  containers,
  ...(serverCalls && { serverCalls }),
  dashboard,
  resolve,
  scale,
  ...(auditCost && { auditCost }),
};

const count = (n: number) => n.toLocaleString("en-US");

/** The audit entry's cost against its floor, and what that leaves of the resolve's budget at 0.6×. */
function auditCostTable(
  { entriesPerGroup, storeUs, sqliteInsertUs, hmacUs }: NonNullable<typeof auditCost>,
  resolve: { bareRps: number; bareCpuUsPerRequest: number },
) {
  const budgetUs = Math.round(1e6 / (0.6 * resolve.bareRps));
  const floorUs = Math.round(3 * (sqliteInsertUs + hmacUs));
  return [
    `| audit entry, in groups of ${entriesPerGroup} | CPU per entry (µs) |`,
    "| --- | --- |",
    `| through the audit store: hash chain, INSERT, commit, flush to disk | ${storeUs} |`,
    `| floor: the same row by a prepared INSERT, same commits and flushes | ${sqliteInsertUs} |`,
    `| floor: the entry's HMAC | ${hmacUs} |`,
    "",
    `At 0.6× the bare route's ${count(resolve.bareRps)} req/s, the server has ${budgetUs} µs of CPU a request (one core: the load generator holds the other). ` +
      `The bare route itself uses ${resolve.bareCpuUsPerRequest} µs, and a resolve's 3 audit entries need at least ` +
      `3 × (${sqliteInsertUs} + ${hmacUs}) = ${floorUs} µs.`,
  ];
}
/** Calls through the server against the same function in local containers, and bare node. */
function serverCallTable({ backend, network, warmCall, coldCall, mapCall }: NonNullable<typeof serverCalls>) {
  return [
    `| through \`lockbox server\` (${backend}, ${network}) | p50 (ms) | baseline p50 (ms) | against the baseline |`,
    "| --- | --- | --- | --- |",
    `| warm call | ${warmCall.p50Ms} | ${warmCall.localP50Ms} (a warm local call) | +${warmCall.extraMs} ms (target ≤ +2 ms) |`,
    `| cold call, from a spare | ${coldCall.p50Ms} | ${coldCall.bareSpawnP50Ms} (bare node, spawned the same way) | ${coldCall.ratio}× (target ≤ 1.5×) |`,
    `| cold call, node started afresh | ${coldCall.freshP50Ms} | ${coldCall.bareSpawnP50Ms} | ${coldCall.freshRatio}× |`,
    `| \`.map\` of ${count(mapCall.inputs)} | ${count(mapCall.callsPerSecond)} calls/s | | |`,
  ];
}

const { library, http } = scale.create;
const rows = containers.map(
  ({ backend, network, coldCall, warmCall, mapCall }) =>
    `| ${backend} | ${network} | ${coldCall.bareSpawnP50Ms} | ${coldCall.p50Ms} | ${coldCall.ratio}× (target ≤ 1.5×) | ${coldCall.freshP50Ms} | ${coldCall.freshRatio}× (target ≤ 1.5×) | ${warmCall.p50Ms} (target ≤ 3) | ${mapCall.callsPerSecond} |`,
);
const table = [
  "| backend | network | bare node spawn p50 (ms) | cold `.remote()` p50 (ms) | cold / bare | cold, node started afresh, p50 (ms) | afresh / bare | warm `.remote()` p50 (ms) | `.map` of 1,000 (calls/s) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows,
  ...(serverCalls ? ["", ...serverCallTable(serverCalls)] : []),
  "",
  "| dashboard | value | target |",
  "| --- | --- | --- |",
  `| JavaScript, gzipped | ${Math.round(dashboard.jsGzipBytes / 1024)} KB | ≤ 150 KB |`,
  `| list of 1,000 secrets rendered, p50 | ${dashboard.list1000P50Ms} ms (10 secrets: ${dashboard.list10P50Ms} ms, ${dashboard.ratio}×) | < 1000 ms |`,
  "",
  "| `POST …/resolve` (3 secrets × 10 keys, 50 connections) | req/s | p99 (ms) | ratio to bare | server CPU a request (µs) |",
  "| --- | --- | --- | --- | --- |",
  `| bare Fastify route | ${resolve.bareRps} | ${resolve.bareP99Ms} | 1× | ${resolve.bareCpuUsPerRequest} |`,
  `| lockbox server, SQLite | ${resolve.rps} | ${resolve.p99Ms} (target < 5) | ${resolve.ratio}× (target ≥ 0.6×) | ${resolve.cpuUsPerRequest} |`,
  `| lockbox server, PostgreSQL | ${resolve.postgres.rps} | ${resolve.postgres.p99Ms} | ${resolve.postgres.ratio}× | ${resolve.postgres.cpuUsPerRequest} |`,
  ...(resolve.authenticatedGet
    ? [
        `| lockbox server, SQLite: \`GET /v1/environments\` instead (authenticated; no value, no audit entry) | ${resolve.authenticatedGet.rps} | ${resolve.authenticatedGet.p99Ms} | ${resolve.authenticatedGet.ratio}× | ${resolve.authenticatedGet.cpuUsPerRequest} |`,
      ]
    : []),
  ...(auditCost ? ["", ...auditCostTable(auditCost, resolve)] : []),
  "",
  `| scale (10 keys a secret, ${scale.connections} connections) | ${count(scale.secrets)} secrets | ${scale.baselineSecrets} secrets | ratio |`,
  "| --- | --- | --- | --- |",
  `| list, first page, p50 / p99 (ms) | ${scale.list.p50Ms} / ${scale.list.p99Ms} | ${scale.list.baselineP50Ms} / ${scale.list.baselineP99Ms} | ${scale.listRatio}× (target ≤ 1.5×) |`,
  `| resolve 3 secrets, p50 / p99 (ms) | ${scale.resolve.p50Ms} / ${scale.resolve.p99Ms} | ${scale.resolve.baselineP50Ms} / ${scale.resolve.baselineP99Ms} | ${scale.resolveRatio}× (target ≤ 1.5×) |`,
  `| server's resident memory (MB) | ${scale.rssMb} | ${scale.baselineRssMb} | |`,
  `| created in (s) | ${scale.createSeconds}: ${count(library.secrets)} through the library (${count(library.perSecond)}/s), ${count(http.secrets)} over HTTP (${count(http.perSecond)}/s) | | |`,
].join("\n");

const resultsDir = new URL("results/", import.meta.url);
writeFileSync(new URL("latest.json", resultsDir), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL("latest.md", resultsDir), `${table}\n`);
console.log(table);
console.log(
  `\nWall time (s): ${Object.entries(wallSeconds)
    .map(([name, seconds]) => `${name} ${seconds}`)
    .join(", ")}`,
);
process.exit(0); // the SDK's client and idle timers must not keep the process alive
