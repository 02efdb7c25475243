// `npm run bench [-- --quick]`: every benchmark, written to bench/results/latest.json and .md.
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { containerBenchmarks } from "./containers.mjs";
import { dashboardBenchmarks } from "./dashboard.mjs";

const quick = process.argv.includes("--quick");

const containers = await containerBenchmarks({ quick });
const dashboard = await dashboardBenchmarks({ quick });
const preferred = containers.find((result) => result.backend === "sandbox") ?? containers[0];
const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadAverage: loadavg().map((load) => Math.round(load * 100) / 100) },
  quick,
  coldCall: { backend: preferred.backend, ...preferred.coldCall },
  warmCall: { backend: preferred.backend, ...preferred.warmCall },
  containers,
  dashboard,
};

const rows = containers.map(
  ({ backend, coldCall, warmCall }) =>
    `| ${backend} | ${coldCall.bareSpawnP50Ms} | ${coldCall.p50Ms} | ${coldCall.ratio}× (target ≤ 1.5×) | ${warmCall.p50Ms} (target ≤ 3) |`,
);
const table = [
  "| backend | bare node spawn p50 (ms) | cold `.remote()` p50 (ms) | cold / bare | warm `.remote()` p50 (ms) |",
  "| --- | --- | --- | --- | --- |",
  ...rows,
  "",
  "| dashboard | value | target |",
  "| --- | --- | --- |",
  `| JavaScript, gzipped | ${Math.round(dashboard.jsGzipBytes / 1024)} KB | ≤ 150 KB |`,
  `| list of 1,000 secrets rendered, p50 | ${dashboard.list1000P50Ms} ms (10 secrets: ${dashboard.list10P50Ms} ms, ${dashboard.ratio}×) | < 1000 ms |`,
].join("\n");

const resultsDir = new URL("results/", import.meta.url);
writeFileSync(new URL("latest.json", resultsDir), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL("latest.md", resultsDir), `${table}\n`);
console.log(table);
process.exit(0); // the SDK's client and idle timers must not keep the process alive
