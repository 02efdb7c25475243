import { createHash } from "node:crypto";
import type pg from "pg";

// Statements each connection keeps prepared at most; past it, the rest are sent unnamed.
const preparedMax = 200;
// Longer statements (an audit group's INSERT of many rows) vary too much to be worth keeping.
const preparedTextMax = 2000;
// Why a statement prepared earlier cannot run by its name: "cached plan must not change result
// type" (a newer instance migrated its table), or "prepared statement does not exist" (a pooler
// in front of PostgreSQL that does not keep prepared statements sent it to another connection).
export const notReusable = ["0A000", "26000"];

type QueryText = (text: string, values: unknown[]) => Promise<pg.QueryResult>;

/**
 * Makes `client` prepare each statement Kysely sends once, by name, and run it again by that
 * name: node-postgres sends statements unnamed, and PostgreSQL parses and plans each of them
 * every time (about half of its CPU for a resolve). A statement that cannot run by its name (see
 * `notReusable`) is sent unnamed from then on.
 */
export function prepareStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as unknown as QueryText &
    ((config: pg.QueryConfig) => Promise<pg.QueryResult>);
  const prepared = new Set<string>();
  // Statements that could not run by name: sent unnamed from then on.
  const stale = new Set<string>();
  const queryText: QueryText = async (text, values) => {
    const name = createHash("sha256").update(text).digest("hex").slice(0, 32);
    const named =
      !stale.has(name) &&
      (prepared.has(name) || (prepared.size < preparedMax && text.length <= preparedTextMax));
    if (!named) return query(text, values);
    prepared.add(name);
    try {
      return await query({ name, text, values });
    } catch (error) {
      if (!notReusable.includes((error as { code?: string }).code ?? "")) throw error;
      stale.add(name);
      // Inside a transaction the failure has aborted it; the store tries the transaction again.
      return query(text, values);
    }
  };
  // Kysely's queries are `query(text, values)`; anything else (a cursor, a callback) goes as it was.
  client.query = ((...args: unknown[]) =>
    typeof args[0] === "string" && Array.isArray(args[1]) && args.length === 2
      ? queryText(args[0], args[1])
      : (query as (...args: unknown[]) => unknown)(...args)) as typeof client.query;
}
