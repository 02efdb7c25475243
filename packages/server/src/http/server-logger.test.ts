import { describe, expect, it } from "vitest";
import { prettyLogLine } from "./pretty-log-line.js";
import { createServerLogger, type LogFormat } from "./server-logger.js";

function logInto(format: LogFormat) {
  const lines: string[] = [];
  const logger = createServerLogger({
    level: "info",
    format,
    destination: { write: (line) => lines.push(line) },
  });
  return { logger, text: () => lines.join("") };
}

const time = new Date(2026, 11, 2, 9, 5, 7, 42).getTime();

describe("prettyLogLine", () => {
  it("gives a request's line its time, level, message, id, method and route, without pid or host", () => {
    const line = JSON.stringify({
      level: 30,
      time,
      pid: 4242,
      hostname: "build-host",
      reqId: "r-1",
      req: {
        method: "GET",
        route: "/v1/environments/:environment",
        host: "127.0.0.1:7420",
        remotePort: 50123,
      },
      msg: "incoming request",
    });
    expect(prettyLogLine(line)).toBe(
      "09:05:07.042 INFO  incoming request reqId=r-1 method=GET route=/v1/environments/:environment\n",
    );
  });

  it("gives a response's route, status and time taken, and quotes a field that has spaces", () => {
    const line = JSON.stringify({
      level: 40,
      time,
      reqId: "r-2",
      req: { method: "GET", route: "(unmatched)" },
      res: { statusCode: 503 },
      responseTime: 12.3456,
      reason: "not ready yet",
      msg: "request completed",
    });
    expect(prettyLogLine(line)).toBe(
      '09:05:07.042 WARN  request completed reqId=r-2 reason="not ready yet" method=GET route=(unmatched) statusCode=503 responseTime=12.3ms\n',
    );
  });

  it("puts an error's stack below its line, and passes a line that is not JSON through", () => {
    const err = { type: "Error", message: "boom", stack: "Error: boom\n    at handler (app.js:1:1)" };
    expect(prettyLogLine(JSON.stringify({ level: 50, time, err, msg: "unexpected error" }))).toBe(
      "09:05:07.042 ERROR unexpected error\n    Error: boom\n    at handler (app.js:1:1)\n",
    );
    expect(prettyLogLine("not json\n")).toBe("not json\n");
  });
});

describe("createServerLogger", () => {
  it.each(["pretty", "json"] as const)("redacts credentials before the %s line is written", (format) => {
    const { logger, text } = logInto(format);
    const headers = { authorization: "Bearer lbx_CANARY-pretty-1", cookie: "lockbox_session=CANARY-2" };
    logger.info({ req: { method: "GET", url: "/v1/session", headers } }, "incoming request");
    logger.info({ res: { statusCode: 201, headers: { "set-cookie": "CANARY-3" } } }, "request completed");
    expect(text()).toContain("incoming request");
    expect(text()).toContain("201");
    expect(text()).not.toContain("CANARY");
  });

  it("writes one readable line per entry in pretty, pino's JSON in json", () => {
    const pretty = logInto("pretty");
    pretty.logger.info({ reqId: "r-3" }, "hello");
    expect(pretty.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello reqId=r-3\n$/);
    const json = logInto("json");
    json.logger.info({ reqId: "r-3" }, "hello");
    expect(JSON.parse(json.text())).toMatchObject({ level: 30, reqId: "r-3", msg: "hello" });
  });
});
