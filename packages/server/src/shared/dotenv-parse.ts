import { InvalidError } from "./errors.js";
import { isKeyForm, keyRule, quote } from "./rules.js";

/** Options of `parseDotenv`. */
interface ParseDotenvOptions {
  /** The value of a `${NAME}` that no earlier line assigns; undefined when it is unset. */
  lookup?: (name: string) => string | undefined;
}

// dotenv 18's own pattern (`parse`), tried only where a line starts: each value is exactly the
// one dotenv reads, and what dotenv would silently skip or join is found around the match.
const dotenvLine =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dmy;
const quoted: Record<string, RegExp> = {
  "'": /^'(?:\\'|[^'])*'/,
  '"': /^"(?:\\"|[^"])*"/,
  "`": /^`(?:\\`|[^`])*`/,
};
// What may follow a value on its line; dotenv ends a line at U+2028 and U+2029 too, which would
// start another assignment in the middle of ours.
const lineTail = /^\s*(?:#[^\u2028\u2029]*)?$/;
const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

const fail = (line: number, problem: string) => new InvalidError(`line ${line}${problem}`);
const notAssignment = (line: number) => fail(line, " is not KEY=VALUE");
const lineEnd = (text: string, from: number) => {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
};

interface Assignment {
  key: string;
  value: string;
  literal: boolean;
  /** Where the line after the assignment starts. */
  next: number;
}

/** The value as dotenv reads it, and whether `${VAR}` stays as written (single quotes, backticks). */
function dotenvValue(raw: string, key: string, line: number): { value: string; literal: boolean } {
  const trimmed = raw.trim();
  const open = trimmed[0] ?? "";
  const pattern = quoted[open];
  if (pattern) {
    const closed = pattern.exec(trimmed)?.[0];
    if (closed === undefined)
      throw fail(line, `: the value of ${quote(key)} opens a ${open} quote that no line end closes`);
    if (closed.length < trimmed.length)
      throw fail(line, `: the value of ${quote(key)} has text after its closing ${open}`);
  }
  let value = trimmed.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
  if (open === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
  return { value, literal: open === "'" || open === "`" };
}

/** The assignment that starts at `start`, the beginning of line `line` (neither blank nor a comment). */
function assignmentAt(text: string, start: number, line: number): Assignment {
  dotenvLine.lastIndex = start;
  const match = dotenvLine.exec(text);
  const [keyStart = 0, keyEnd = 0] = match?.indices?.[1] ?? [];
  const end = lineEnd(text, start);
  // dotenv would read a key from a later line (`export` alone) or a value from the next one (`KEY:`).
  if (!match || keyStart > end) throw notAssignment(line);
  const key = match[1] ?? "";
  const separator = /^\s*(?:=|:\s)/.exec(text.slice(keyEnd, end + 1))?.[0] ?? "\n";
  if (separator.includes("\n")) throw notAssignment(line);
  if (!isKeyForm(key)) throw fail(line, `: the key is not valid: ${keyRule}`);
  let [valueStart = keyEnd + separator.length, valueEnd = valueStart] = match.indices?.[2] ?? [];
  let raw = match[2] ?? "";
  // A quoted value dotenv finds on a following line is no value here: that line is then not KEY=VALUE.
  if (valueStart + raw.length - raw.trimStart().length > end) {
    raw = "";
    valueEnd = end;
  }
  const { value, literal } = dotenvValue(raw, key, line);
  // dotenv cuts an unquoted value at any '#', python-dotenv only at one after a space: refuse the difference.
  const unquoted = !/^\s*['"`]/.test(raw);
  if (unquoted && text[valueEnd] === "#" && !/\s/.test(text[valueEnd - 1] ?? "")) {
    throw fail(
      line,
      `: the value of ${quote(key)} has a '#' right after text: quote the value (a comment needs a space before its '#')`,
    );
  }
  const tailEnd = lineEnd(text, valueEnd);
  if (!lineTail.test(text.slice(valueEnd, tailEnd))) {
    throw fail(line, " has a Unicode line separator (U+2028 or U+2029) outside quotes");
  }
  return { key, value, literal, next: tailEnd + 1 };
}

/** `${NAME}` and `${NAME:-default}` in `value` replaced by `lookup(NAME)` (else the default, else ""). */
function expand(value: string, lookup: (name: string) => string | undefined): string {
  // No reference ends after the last '}': without that bound, each unclosed `${a:-` would scan
  // to the end of the value, quadratic in its length.
  const end = value.lastIndexOf("}") + 1;
  const expanded = value
    .slice(0, end)
    .replace(reference, (_, name: string, fallback?: string) => lookup(name) ?? fallback ?? "");
  return expanded + value.slice(end);
}

/**
 * Reads `.env` text with the rules of dotenv's `parse`, plus `${VAR}` and `${VAR:-default}` in
 * unquoted and double-quoted values (a variable assigned earlier in the text, else `lookup`).
 * Throws `InvalidError` naming the line (or the key) of a line that is not an assignment, an
 * unclosed quote or a key assigned twice; a message never holds a value.
 * @example parseDotenv("USER=app\nURL=postgres://${USER}@db\n") // [["USER", "app"], ["URL", "postgres://app@db"]]
 */
export function parseDotenv(text: string, options: ParseDotenvOptions = {}): [key: string, value: string][] {
  const source = text.replace(/\r\n?/g, "\n");
  const values = new Map<string, string>();
  const lines = new Map<string, number>();
  let line = 1;
  for (let start = 0; start < source.length; ) {
    const end = lineEnd(source, start);
    const content = source.slice(start, end);
    let next = end + 1;
    if (/^\s*#/.test(content)) {
      if (/[\u2028\u2029]/.test(content.slice(content.indexOf("#")))) {
        throw fail(line, " has a Unicode line separator (U+2028 or U+2029) in a comment");
      }
    } else if (content.trim() !== "") {
      const assignment = assignmentAt(source, start, line);
      const { key } = assignment;
      const first = lines.get(key);
      if (first !== undefined)
        throw new InvalidError(`${quote(key)} is assigned twice, on lines ${first} and ${line}`);
      lines.set(key, line);
      values.set(
        key,
        assignment.literal
          ? assignment.value
          : expand(assignment.value, (name) => values.get(name) ?? options.lookup?.(name)),
      );
      next = assignment.next;
    }
    for (let index = start; index < next && index < source.length; index += 1) {
      if (source[index] === "\n") line += 1;
    }
    start = next;
  }
  return [...values];
}
