import { maskText } from "../containers/output-mask.js";
import { InvalidError } from "../shared/errors.js";
import { quote } from "../shared/rules.js";

/** A call's output kept for its answer at most: more is cut, and the cut is said. */
export const outputMaxBytes = 1024 * 1024;

/** Collects a call's (already masked) stdout and stderr, in the order written, up to `outputMaxBytes`. */
export function createOutputCollector() {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let cut = false;
  let open = true;
  return {
    add(chunk: Buffer): void {
      if (!open || cut) return;
      const room = outputMaxBytes - bytes;
      if (chunk.length > room) cut = true;
      const kept = cut ? chunk.subarray(0, room) : chunk;
      chunks.push(kept);
      bytes += kept.length;
    },
    /** The text so far; nothing written later is kept. */
    close(): string {
      open = false;
      const text = Buffer.concat(chunks).toString("utf8");
      return cut ? `${text}\n[output cut at ${outputMaxBytes} bytes]\n` : text;
    },
  };
}

/**
 * `value` as JSON with every string (keys too) masked: each string on its own, so that a mask
 * never cuts through JSON's escapes. Throws `InvalidError` for what JSON cannot carry.
 */
export function maskedJson(value: unknown, values: readonly string[], functionName: string): unknown {
  const refuse = (what: string) =>
    new InvalidError(`Function ${quote(functionName)} returned ${what}, which a JSON answer cannot carry`);
  const walk = (item: unknown, depth: number): unknown => {
    if (depth > 100) throw refuse("data nested over 100 levels deep");
    if (item === null || item === undefined) return null;
    if (typeof item === "string") return maskText(item, values);
    if (typeof item === "boolean") return item;
    if (typeof item === "number") return Number.isFinite(item) ? item : null;
    if (item instanceof Date) return item.toISOString();
    if (Array.isArray(item)) return item.map((entry) => walk(entry, depth + 1));
    if (typeof item === "object" && Object.getPrototypeOf(item) === Object.prototype) {
      // Entries, not assignment: a key named `__proto__` stays a key.
      return Object.fromEntries(
        Object.entries(item).map(([key, entry]) => [maskText(key, values), walk(entry, depth + 1)]),
      );
    }
    throw refuse(`a ${typeof item === "object" ? (item.constructor?.name ?? "object") : typeof item}`);
  };
  return walk(value, 0);
}
