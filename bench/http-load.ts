// One load run with autocannon: requests per second and p50 and p99 latency, failing on any non-2xx
// answer or socket error.
import autocannon from "autocannon";
import { percentile, round } from "./stats.js";

/** How hard and how long a load run goes: for `durationSeconds`, or until `requests` are answered. */
type LoadOptions = { connections: number } & ({ durationSeconds: number } | { requests: number });

/** What a load run sends. */
export type LoadRequest = Pick<autocannon.Options, "method" | "headers" | "body">;

/**
 * `connections` clients sending `request` to `url` back to back for `durationSeconds`, or until
 * `requests` requests are answered. `label` names the target in errors.
 */
export async function loadRun(
  label: string,
  url: string,
  request: LoadRequest,
  options: LoadOptions,
): Promise<{ rps: number; p50Ms: number; p99Ms: number }> {
  const latenciesMs: number[] = [];
  // autocannon looks for the end once a sample interval (1 s by default): for a count, more often.
  const length =
    "requests" in options
      ? { amount: options.requests, sampleInt: 50 }
      : { duration: options.durationSeconds };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon({ url, ...request, connections: options.connections, ...length }, (error, done) =>
      error ? reject(error) : resolve(done),
    );
    // autocannon's own histogram keeps whole milliseconds; the p99 targets need finer.
    run.on("response", (_client, _statusCode, _bytes, responseTimeMs) => latenciesMs.push(responseTimeMs));
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const statuses = Object.entries(result.statusCodeStats ?? {})
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
