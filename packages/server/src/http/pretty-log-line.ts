const levelNames: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

// pid and hostname are the same on every line; req, res, err and responseTime are shown their own way.
const omitted = new Set(["level", "time", "pid", "hostname", "msg", "req", "res", "err", "responseTime"]);

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

function clockTime(epochMs: unknown): string {
  const time = new Date(typeof epochMs === "number" ? epochMs : Date.now());
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

/** The fields worth a terminal line: the request's method and route, the status, the time taken, the rest. */
function fields(entry: Record<string, unknown>): [string, unknown][] {
  const req = record(entry.req);
  const res = record(entry.res);
  const pairs: [string, unknown][] = Object.entries(entry).filter(([key]) => !omitted.has(key));
  if (req.method !== undefined) pairs.push(["method", req.method], ["route", req.route]);
  if (res.statusCode !== undefined) pairs.push(["statusCode", res.statusCode]);
  if (typeof entry.responseTime === "number")
    pairs.push(["responseTime", `${entry.responseTime.toFixed(1)}ms`]);
  return pairs;
}

function errorLines(err: unknown): string[] {
  const error = record(err);
  if (typeof error.stack === "string") return error.stack.split("\n").map((line) => `    ${line.trim()}`);
  return error.message === undefined ? [] : [`    ${String(error.message)}`];
}

/**
 * One pino JSON line (already redacted) as `HH:MM:SS.mmm LEVEL message key=value…`, with an
 * error's stack indented below it; a line that is not pino's JSON is passed through as it is.
 */
export function prettyLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = record(JSON.parse(json));
  } catch {
    return json;
  }
  const level = levelNames[Number(entry.level)] ?? String(entry.level);
  const head = [clockTime(entry.time), level.padEnd(5), String(entry.msg ?? "")];
  const tail = fields(entry).map(([key, value]) => `${key}=${fieldText(value)}`);
  const lines = [[...head, ...tail].join(" "), ...errorLines(entry.err)];
  return `${lines.join("\n")}\n`;
}
