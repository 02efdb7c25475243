import { quote } from "@lockbox/server/shared";

/** Writes lines to stdout. */
export function print(...lines: string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Writes `value` as indented JSON to stdout: the whole output of a `--json` command. */
export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

// What JSON has no form for: a bigint as its digits in a string, a Map as an object, a Set as an
// array, bytes (a Buffer, any typed array) as base64, which the masker knows, where a list of
// numbers would show a secret's bytes unmasked. `this[key]` is the value before its toJSON.
function toJsonable(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (ArrayBuffer.isView(original)) {
    return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString("base64");
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/**
 * A function's result as `lockbox run` prints it: JSON, objects and arrays indented, a string
 * quoted, bytes as base64; undefined for `undefined`, which prints nothing.
 */
export function resultJson(value: unknown, functionName: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value, toJsonable, 2);
  } catch {
    // JSON.stringify's own message may describe the value: name the rule instead.
    throw new Error(
      `The result of function ${quote(functionName)} cannot be printed as JSON: it refers to itself`,
    );
  }
}

/** Writes rows under a header, each column as wide as its widest cell. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  print(line(header), ...rows.map(line));
}

const timeFormat = new Intl.DateTimeFormat("en-CA", {
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short",
});

/** A stored ISO time as local `YYYY-MM-DD HH:MM TZ`; `-` when there is none. */
export function formatTime(iso: string | null): string {
  if (iso === null) return "-";
  return timeFormat.format(new Date(iso)).replace(",", "");
}

/** `'A', 'B'`: names quoted for a message. */
export function quoteAll(names: readonly string[]): string {
  return names.map((name) => quote(name)).join(", ");
}
