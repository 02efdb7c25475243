// One load run with autocannon: requests per second and p99 latency, failing on any non-2xx
// answer or socket error.
import autocannon from "autocannon";
import { percentile, round } from "./stats.mjs";

/**
 * `connections` clients sending `request` to `url` back to back for `durationSeconds`.
 * `label` names the target in errors.
 */
export async function loadRun(label, url, request, { connections, durationSeconds }) {
  const latenciesMs = [];
  const run = autocannon({ url, ...request, connections, duration: durationSeconds });
  // autocannon's own histogram keeps whole milliseconds; the p99 targets need finer.
  run.on("response", (_client, _statusCode, _bytes, responseTimeMs) => latenciesMs.push(responseTimeMs));
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const statuses = Object.entries(result.statusCodeStats)
      .map(([status, { count }]) => `${status}: ${count}`)
      .join(", ");
    throw new Error(
      `${label}: ${result.non2xx} non-2xx answers (${statuses}), ${result.errors} errors and ${result.timeouts} timeouts under load`,
    );
  }
  if (result.requests.total === 0) throw new Error(`${label}: no answer at all in ${durationSeconds} s`);
  return {
    rps: result.requests.total / result.duration,
    p99Ms: round(percentile(latenciesMs, 0.99), 3),
  };
}
