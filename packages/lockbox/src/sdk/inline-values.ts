import { InvalidError, valuesProblem } from "@lockbox/server/shared";
import type { InlineSource } from "./definitions.js";

/**
 * Checks an ephemeral secret's pairs: `null` and `undefined` values are dropped, any other
 * non-string is an `InvalidError` naming the key (never the value). Returns a copy.
 */
export function checkInlineValues(record: unknown, where: string): Record<string, string> {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new InvalidError(`${where} takes an object of string values`);
  }
  // fromEntries, not assignment: a key named __proto__ stays a key.
  const values = Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== null && value !== undefined),
  );
  const problem = valuesProblem(values);
  if (problem) throw new InvalidError(problem);
  return values as Record<string, string>;
}

/** `[FOO, BAR]`: the keys of a label, shortened when there are many. */
export function keyList(keys: readonly string[]): string {
  const shown = keys.length > 8 ? [...keys.slice(0, 8), "…"] : keys;
  return `[${shown.join(", ")}]`;
}

/** A function's `env` option as its last layer: `env [FOO, BAR]` (the keys given, like `Secret.fromDict`'s label). */
export function envSource(
  values: Readonly<Record<string, string>>,
  keys: readonly string[] = Object.keys(values),
): InlineSource {
  const copy = { ...values };
  return { kind: "inline", label: `env ${keyList(keys)}`, load: async () => ({ ...copy }) };
}
