import type { FastifyReply, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { ContainerSource } from "../containers/container-types.js";
import type { LockboxEvents } from "../lockbox.js";
import type { ReadRecord } from "../services/read-log.js";

/** The route label of a request no route matched: its URL could hold anything, a name or a token. */
export const unmatchedRoute = "unmatched";

// Gauges of prom-client's process metrics that Prometheus' lint rejects (a gauge named `_total`);
// the same gauges by type (`nodejs_active_handles{type}` …) add up to them.
const misnamedProcessMetrics = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

const containerSources: readonly ContainerSource[] = ["cold", "spare", "warm"];

// Every read of values leaves one record naming the secrets it read; a call's or a run's own
// record names none.
const isSecretRead = (record: ReadRecord) => record.entries.some((entry) => entry.secret !== null);

/**
 * One server's metrics, in a registry of its own (not prom-client's global one, so that servers
 * in one process keep theirs apart), with the process's own. Labels are kinds, route patterns,
 * methods and status codes: never a secret, environment, token or workspace name, never a value.
 */
export function createServerMetrics() {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  for (const name of misnamedProcessMetrics) registry.removeSingleMetric(name);

  const requests = new Histogram({
    name: "lockbox_http_request_duration_seconds",
    help: "Requests of the HTTP API and dashboard by route pattern, method and status code, and how long they took",
    labelNames: ["route", "method", "status_code"] as const,
    registers,
  });
  const secretOperations = new Counter({
    name: "lockbox_secret_operations_total",
    help: "Secret operations that succeeded: reads of values (audited) and writes (create, update, delete, rollback)",
    labelNames: ["operation"] as const,
    registers,
  });
  const containerStarts = new Counter({
    name: "lockbox_container_starts_total",
    help: "How function calls got their container: cold (spawned), spare (started ahead) or warm (an idle one reused)",
    labelNames: ["kind"] as const,
    registers,
  });
  const calls = new Counter({
    name: "lockbox_container_calls_total",
    help: "Function calls in this server's containers by outcome: ok, cancelled, or the error code",
    labelNames: ["outcome"] as const,
    registers,
  });
  const groupSize = new Histogram({
    name: "lockbox_audit_group_commit_size",
    help: "Reads whose audit entries one group commit wrote",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers,
  });
  const groupDuration = new Histogram({
    name: "lockbox_audit_group_commit_duration_seconds",
    help: "How long a group commit of reads' audit entries took",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const refusedReads = new Counter({
    name: "lockbox_audit_refused_reads_total",
    help: "Reads refused because their audit entries could not be committed (no value left)",
    registers,
  });
  const authFailures = new Counter({
    name: "lockbox_authentication_failures_total",
    help: "Bearer tokens refused (unknown, expired or revoked) and failed dashboard sign-ins",
    labelNames: ["kind"] as const,
    registers,
  });
  // Known series start at 0, so that a rate is defined before the first event.
  for (const operation of ["read", "write"]) secretOperations.inc({ operation }, 0);
  for (const kind of containerSources) containerStarts.inc({ kind }, 0);
  for (const kind of ["token", "sign_in"]) authFailures.inc({ kind }, 0);
  calls.inc({ outcome: "ok" }, 0);

  const events: LockboxEvents = {
    readLog: {
      committed(records, seconds) {
        groupSize.observe(records.length);
        groupDuration.observe(seconds);
        secretOperations.inc({ operation: "read" }, records.filter(isSecretRead).length);
      },
      refused: (records) => refusedReads.inc(records.length),
    },
    containers: {
      containerFound: (kind) => containerStarts.inc({ kind }),
      callEnded: (outcome) => calls.inc({ outcome }),
    },
    secretWritten: () => secretOperations.inc({ operation: "write" }),
    authenticationFailed: (kind) => authFailures.inc({ kind }),
  };

  return {
    registry,
    events,
    /** Counts an answered request under its route's pattern, never its URL. */
    answered(request: FastifyRequest, reply: FastifyReply): void {
      requests.observe(
        {
          route: request.routeOptions.url ?? unmatchedRoute,
          method: request.method,
          status_code: reply.statusCode,
        },
        reply.elapsedTime / 1000,
      );
    },
  };
}
