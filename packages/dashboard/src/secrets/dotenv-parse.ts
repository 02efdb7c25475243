/** What a pasted .env text holds: its pairs in order (a repeated key keeps its last value) and the lines that are not `KEY=VALUE`. */
export interface ParsedDotenv {
  entries: [key: string, value: string][];
  badLines: number[];
}

const assignment = /^(?:export\s+)?([^\s=#]+)\s*=\s*(.*)$/;
const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t" };

/** The end of a quoted value that starts at `text[0]`, or -1 when it is not closed yet. */
function closingQuote(text: string): number {
  const quote = text[0];
  for (let index = 1; index < text.length; index += 1) {
    if (quote === '"' && text[index] === "\\") index += 1;
    else if (text[index] === quote) return index;
  }
  return -1;
}

function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);
  if (quoted[0] !== '"') return inner;
  return inner.replace(/\\(.)/gs, (_, char: string) => escapes[char] ?? char);
}

/**
 * Parses .env text as the dotenv package does: `KEY=VALUE`, an optional `export ` prefix, `#`
 * comments, single, double (with `\n` escapes) or backtick quotes, and quoted values over several lines.
 */
export function parseDotenv(text: string): ParsedDotenv {
  const lines = text.split(/\r?\n/);
  const values = new Map<string, string>();
  const badLines: number[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = assignment.exec(line);
    if (!match?.[1]) {
      badLines.push(index + 1);
      continue;
    }
    let rest = match[2] ?? "";
    if (!/^["'`]/.test(rest)) {
      values.set(match[1], rest.replace(/(^|\s)#.*$/, "").trim());
      continue;
    }
    const first = index;
    while (closingQuote(rest) < 0 && index + 1 < lines.length) {
      index += 1;
      rest += `\n${lines[index]}`;
    }
    const end = closingQuote(rest);
    if (end < 0) badLines.push(first + 1);
    else values.set(match[1], unquote(rest.slice(0, end + 1)));
  }
  return { entries: [...values], badLines };
}
