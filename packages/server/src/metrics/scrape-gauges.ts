import { Gauge, type Registry } from "prom-client";
import type { FunctionExecutor } from "../execution/function-executor.js";
import type { ConnectionPoolUse, Store } from "../store/store.js";

interface GaugeSources {
  functions: Pick<FunctionExecutor, "stats" | "capacity">;
  connectionPools: Store["connectionPools"];
}

/** A gauge whose value is read from `read` at each scrape. */
function scraped(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A gauge of each connection pool (none on SQLite), labelled by its database, set at each scrape. */
function perPool(
  registry: Registry,
  connectionPools: GaugeSources["connectionPools"],
  metric: { name: string; help: string; states?: readonly ["busy", "idle"] },
  read: (use: ConnectionPoolUse, state?: "busy" | "idle") => number,
): void {
  new Gauge({
    name: metric.name,
    help: metric.help,
    labelNames: metric.states ? ["database", "state"] : ["database"],
    registers: [registry],
    collect() {
      this.reset();
      for (const use of connectionPools()) {
        if (!metric.states) this.set({ database: use.database }, read(use));
        for (const state of metric.states ?? [])
          this.set({ database: use.database, state }, read(use, state));
      }
    },
  });
}

/** Gauges of what a server holds now, read when Prometheus scrapes: containers, queue, database pools. */
export function addScrapeGauges(registry: Registry, { functions, connectionPools }: GaugeSources): void {
  scraped(
    registry,
    "lockbox_containers",
    "Live containers of function calls: starting, busy or idle",
    () => functions.stats().containers,
  );
  scraped(
    registry,
    "lockbox_containers_max",
    "Live containers at most (--max-containers)",
    () => functions.capacity().maxContainers,
  );
  scraped(
    registry,
    "lockbox_container_queued_calls",
    "Function calls waiting for a container",
    () => functions.stats().queued,
  );
  scraped(
    registry,
    "lockbox_container_queued_calls_max",
    "Function calls that may wait at most (--max-queued-calls); past it, 429",
    () => functions.capacity().maxQueuedCalls,
  );
  perPool(
    registry,
    connectionPools,
    {
      name: "lockbox_database_connections",
      help: "Open PostgreSQL connections of this server per database (primary, replica): busy or idle",
      states: ["busy", "idle"],
    },
    (use, state) => (state === "busy" ? use.busy : use.idle),
  );
  perPool(
    registry,
    connectionPools,
    {
      name: "lockbox_database_connections_max",
      help: "PostgreSQL connections this server opens at most, per database (--database-max-connections)",
    },
    (use) => use.max,
  );
  perPool(
    registry,
    connectionPools,
    {
      name: "lockbox_database_waiting_queries",
      help: "Queries waiting for a PostgreSQL connection, per database",
    },
    (use) => use.waiting,
  );
}
