import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

// Every 127.x address is on loopback: a client that binds one reaches the server from it.
const canary = "CANARY-failure-limits-93be1d";
const secrets = "/v1/environments/main/secrets";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

let nextAddress = 0;
/** A loopback address no earlier request came from. */
function freshAddress(): string {
  const n = nextAddress++;
  return `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`;
}

/** A request sent from the loopback address `localAddress`, as `token` (or none), with a JSON `body`. */
function sendFrom(
  localAddress: string,
  method: string,
  path: string,
  { token, body }: { token?: string; body?: unknown } = {},
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(server.url);
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    const sent = request(
      { host: hostname, port, method, path, localAddress, agent: false, headers },
      (answer) => {
        let text = "";
        answer.setEncoding("utf8");
        answer.on("data", (chunk: string) => {
          text += chunk;
        });
        answer.on("end", () => resolve({ status: answer.statusCode ?? 0, text }));
        answer.on("error", reject);
      },
    );
    sent.on("error", reject);
    sent.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const listFrom = (localAddress: string, token: string) => sendFrom(localAddress, "GET", secrets, { token });

interface Entry {
  action: string;
  actor: string;
  source: string | null;
  target: string | null;
}

const failedEntries = async (token = server.adminToken, action = "auth.failed"): Promise<Entry[]> =>
  (await server.call("GET", "/v1/audit?limit=1000", { token })).body.entries.filter(
    (entry: Entry) => entry.action === action,
  );

describe("failed bearer tokens from rotating addresses", () => {
  it("are limited per token: a revoked token sent from 30 addresses gets 429 after 20", async () => {
    const created = await server.call("POST", "/v1/workspaces", { body: { name: "rotated" } });
    const owner = created.body.adminToken as string;
    const issued = await server.call("POST", "/v1/tokens", { token: owner, body: { name: "cron job" } });
    await server.call("DELETE", `/v1/tokens/${issued.body.token.id}`, { token: owner });

    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await listFrom(freshAddress(), issued.body.value));
    expect(answers.map((answer) => answer.status)).toEqual([...Array(20).fill(401), ...Array(10).fill(429)]);
    expect(JSON.parse(answers[29]?.text ?? "").error.message).toMatch(
      /^Too many failed authentications with this token: try again in \d+ s$/,
    );

    const failed = await failedEntries(owner);
    expect(failed).toHaveLength(21);
    expect(failed[0]).toMatchObject({
      actor: "cron job",
      target: "limit reached: 20 failed authentications in 60 s with this token",
    });
    expect(new Set(failed.map((entry) => entry.source)).size).toBe(21);
    // Filed under the token's workspace: the default one saw none of it.
    expect(await failedEntries()).toEqual([]);
  });

  it("are limited per workspace: 300 unknown tokens from 300 addresses end in 429, with 101 entries", async () => {
    const answers = [];
    for (let i = 0; i < 300; i++) answers.push(await listFrom(freshAddress(), `lbx_${canary}_${i}`));
    expect(answers.map((answer) => answer.status)).toEqual([
      ...Array(100).fill(401),
      ...Array(200).fill(429),
    ]);
    expect(JSON.parse(answers[299]?.text ?? "").error.message).toMatch(
      /^Too many failed authentications with unknown tokens: try again in \d+ s$/,
    );

    const failed = await failedEntries();
    expect(failed).toHaveLength(101);
    expect(failed[0]).toMatchObject({
      actor: "unknown token",
      target: "limit reached: 100 failed authentications in 60 s with unknown tokens",
    });
    expect(
      failed.slice(1).every((entry) => entry.target === null && entry.source?.startsWith("127.0.")),
    ).toBe(true);
    expect(JSON.stringify(failed) + answers.map((answer) => answer.text).join("")).not.toContain(canary);

    // A valid token goes on working, from a new address and from one that failed.
    expect((await listFrom(freshAddress(), server.adminToken)).status).toBe(200);
    expect((await listFrom("127.0.1.2", server.adminToken)).status).toBe(200);
  });
});

describe("failed sign-ins from rotating addresses", () => {
  it("are limited per workspace without locking the right token out", async () => {
    const answers = [];
    for (let i = 0; i < 60; i++)
      answers.push(
        await sendFrom(freshAddress(), "POST", "/v1/sessions", { body: { token: `lbx_${canary}_${i}` } }),
      );
    expect(answers.map((answer) => answer.status)).toEqual([...Array(50).fill(401), ...Array(10).fill(429)]);
    expect(JSON.parse(answers[59]?.text ?? "").error.message).toMatch(
      /^Too many failed sign-ins with unknown tokens: try again in \d+ s$/,
    );
    const failed = await failedEntries(server.adminToken, "session.failed");
    expect(failed).toHaveLength(51);
    expect(failed[0]?.target).toBe("limit reached: 50 failed sign-ins in 60 s with unknown tokens");
    const signedIn = await sendFrom(freshAddress(), "POST", "/v1/sessions", {
      body: { token: server.adminToken },
    });
    expect(signedIn.status).toBe(201);
  });
});
