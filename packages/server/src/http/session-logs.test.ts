import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lockbox, openLockbox } from "../lockbox.js";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { buildApp, redactedPaths } from "./app.js";

const token = "lbx_CANARY-log-token-0b5e7d21";
const wrongToken = "lbx_CANARY-log-wrong-93c4aa10";

let dataDir: string;
let lockbox: Lockbox;
let app: Awaited<ReturnType<typeof buildApp>>;
let url: string;
const lines: string[] = [];

beforeAll(async () => {
  dataDir = makeTempDir();
  lockbox = await openLockbox({ dataDir });
  await lockbox.bootstrap({ token });
  // The server's own logger settings, at the most talkative level, into memory.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace", redact: { paths: redactedPaths, censor: "[redacted]" } }, sink);
  app = await buildApp({ ...lockbox, logger });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app.close();
  await lockbox.close();
  removeTempDir(dataDir);
});

interface LogEntry {
  level: number;
  msg: string;
  reqId?: string;
  req?: { method: string; route: string };
  res?: { statusCode: number };
  responseTime?: number;
  err?: unknown;
}

const entries = () =>
  lines
    .join("")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LogEntry);

/** The line that says how the request `requestId` ended. */
const completed = (requestId: string) =>
  entries().find((entry) => entry.reqId === requestId && entry.msg === "request completed");

const post = (body: string, contentType = "application/json") =>
  fetch(`${url}/v1/sessions`, { method: "POST", headers: { "content-type": contentType }, body });

describe("sign-in and the logs", () => {
  it("never logs the token, the cookie or the CSRF token", async () => {
    const signedIn = await post(JSON.stringify({ token }));
    expect(signedIn.status).toBe(201);
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const { csrfToken } = (await signedIn.json()) as { csrfToken: string };
    const headers = { cookie, "x-csrf-token": csrfToken, "user-agent": "log-test" };
    expect((await fetch(`${url}/v1/session`, { headers })).status).toBe(200);
    expect((await post(JSON.stringify({ token: wrongToken }))).status).toBe(401);
    expect((await post(`{"token":"${wrongToken}`)).status).toBe(400);
    expect((await post(JSON.stringify({ token: 42, wrongToken }))).status).toBe(400);
    expect((await fetch(`${url}/v1/session`, { method: "DELETE", headers })).status).toBe(200);

    const log = lines.join("");
    expect(log).toContain("/v1/sessions");
    for (const material of [token, wrongToken, "CANARY", cookie.split("=")[1] ?? "", csrfToken]) {
      expect(material.length).toBeGreaterThan(0);
      expect(log).not.toContain(material);
    }
  });
});

describe("request lines", () => {
  const canary = "CANARY-log-query-5f0c2a";
  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const requestId = async (answer: Response) =>
    answer.headers.get("content-type")?.includes("json")
      ? ((await answer.json()) as { error?: { requestId: string } }).error?.requestId
      : undefined;

  it("name the route pattern, the method, the status and the time taken, never the URL or its query", async () => {
    const listed = await get(`/v1/environments/main/secrets?cursor=${canary}`);
    expect(listed.status).toBe(200);
    const missing = await get(`/v1/environments/main/secrets/${canary}?cursor=${canary}`);
    expect(missing.status).toBe(404);
    const unrouted = await get(`/v1/${canary}?cursor=${canary}`);
    expect(unrouted.status).toBe(404);

    expect(lines.join("")).not.toContain(canary);
    const ids = [await requestId(missing), await requestId(unrouted)];
    expect(completed(ids[0] ?? "")).toMatchObject({
      level: 30,
      req: { method: "GET", route: "/v1/environments/:environment/secrets/:name" },
      res: { statusCode: 404 },
      responseTime: expect.any(Number),
    });
    expect(completed(ids[1] ?? "")).toMatchObject({
      req: { method: "GET", route: "(unmatched)" },
      res: { statusCode: 404 },
    });
    const list = entries().filter((entry) => entry.req?.route === "/v1/environments/:environment/secrets");
    expect(list.map((entry) => entry.msg)).toEqual(["incoming request", "request completed"]);
    expect(list[1]).toMatchObject({ res: { statusCode: 200 } });
  });

  it("of an error carry the request id that its answer names", async () => {
    // A server whose store is gone fails every request: an error its caller sees only by id.
    const brokenDir = makeTempDir();
    const broken = await openLockbox({ dataDir: brokenDir });
    await broken.bootstrap({ token });
    const brokenLines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        brokenLines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: "info", redact: { paths: redactedPaths, censor: "[redacted]" } }, sink);
    const brokenApp = await buildApp({ ...broken, logger });
    const brokenUrl = await brokenApp.listen({ host: "127.0.0.1", port: 0 });
    await broken.close();
    try {
      const answer = await fetch(`${brokenUrl}/v1/environments?cursor=${canary}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(500);
      const { error } = (await answer.json()) as { error: { requestId: string } };
      const logged = brokenLines.map((line) => JSON.parse(line) as LogEntry);
      const errors = logged.filter((entry) => entry.level >= 50);
      expect(errors.length).toBeGreaterThan(0);
      for (const entry of errors) expect(entry.reqId).toBe(error.requestId);
      expect(errors[0]).toMatchObject({ msg: "unexpected error", err: expect.anything() });
      expect(brokenLines.join("")).not.toContain(canary);
    } finally {
      await brokenApp.close();
      removeTempDir(brokenDir);
    }
  });
});
