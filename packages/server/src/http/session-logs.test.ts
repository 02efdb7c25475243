import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lockbox, openLockbox } from "../lockbox.js";
import { bootstrap } from "../services/workspace-service.js";
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
  await bootstrap(lockbox.store, { token });
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
