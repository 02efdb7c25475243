// One load run with autocannon: requests per second and p50 and p99 latency, failing on any non-2xx
// answer or socket error.
import autocannon from "autocannon";
import { percentile, round } from "./stats.mjs";

/**
 * `connections` clients sending `request` to `url` back to back for `durationSeconds`, or until
 * `requests` requests are answered. `label` names the target in errors.
 */
export async function loadRun(label, url, request, { connections, durationSeconds, requests }) {
  const latenciesMs = [];
  // autocannon looks for the end once a sample interval (1 s by default): for a count, more often.
  const length = requests === undefined ? { duration: durationSeconds } : { amount: requests, sampleInt: 50 };
  const run = autocannon({ url, ...request, connections, ...length });
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
  if (result.requests.total === 0) throw new Error(`${label}: no answer at all in ${result.duration} s`);
  return {
    rps: result.requests.total / result.duration,
    p50Ms: round(percentile(latenciesMs, 0.5), 3),
    p99Ms: round(percentile(latenciesMs, 0.99), 3),
  };
}
