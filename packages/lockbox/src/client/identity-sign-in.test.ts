import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@lockbox/server/config";
import {
  startOidcIssuer,
  startTestServer,
  type TestOidcIssuer,
  type TestServer,
} from "@lockbox/server/test-support";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../test-support/run-cli.js";
import { serverAccess } from "./server-access.js";

// Issue 17: a client given only an identity and its platform's token signs in by itself.

const canary = `CANARY-IDENTITY-${Math.random()}`;
const audience = "lockbox";

let server: TestServer;
let cluster: TestOidcIssuer;
let folder: string;
let tokenFile: string;

const podToken = (name = "reader") => cluster.serviceAccountToken("payments", name, audience);

async function exchanges(action: "identity.exchange" | "identity.exchange.refused"): Promise<number> {
  const answer = await server.call("GET", "/v1/audit?limit=1000");
  return answer.body.entries.filter((entry: { action: string }) => entry.action === action).length;
}

beforeAll(async () => {
  server = await startTestServer();
  cluster = await startOidcIssuer({ alg: "ES256" });
  folder = mkdtempSync(join(tmpdir(), "lockbox-identity-"));
  tokenFile = join(folder, "token");
  await server.call("POST", "/v1/environments/main/secrets", {
    body: { name: "db", values: { PASSWORD: canary } },
  });
  const created = await server.call("POST", "/v1/identities", {
    body: {
      name: "reader",
      issuer: cluster.issuer,
      audience,
      subject: "system:serviceaccount:payments:*",
      role: "viewer",
      ttlSeconds: 60,
    },
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await server.dispose();
  await cluster.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("the CLI with LOCKBOX_IDENTITY", () => {
  const env = () => ({
    LOCKBOX_HOME: folder,
    LOCKBOX_SERVER_URL: server.url,
    LOCKBOX_IDENTITY: "reader",
    LOCKBOX_OIDC_TOKEN_FILE: tokenFile,
  });

  it("lists secrets with only an identity and a token file, and reads no value a viewer may not", async () => {
    writeFileSync(tokenFile, `${await podToken()}\n`, { mode: 0o600 });
    const listed = await runCli(["secret", "list", "--json"], { env: env() });
    expect(listed.stderr).toBe("");
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: "db" })]);
    const revealed = await runCli(["secret", "show", "db", "--reveal"], { env: env() });
    expect(revealed.code).toBe(1);
    expect(revealed.stdout + revealed.stderr).not.toContain(canary);
  });

  it("is refused, with only 'not allowed', for a token the identity does not match", async () => {
    writeFileSync(tokenFile, await cluster.serviceAccountToken("billing", "reader", audience));
    const listed = await runCli(["secret", "list"], { env: env() });
    expect(listed).toMatchObject({ code: 1, stdout: "" });
    expect(listed.stderr).toContain("not allowed");
  });

  it.each([
    [{ LOCKBOX_OIDC_TOKEN_FILE: "" }, "LOCKBOX_IDENTITY needs the platform's token"],
    [{ LOCKBOX_TOKEN: "lbx_whatever_0123456789" }, "Set LOCKBOX_TOKEN or LOCKBOX_IDENTITY, not both"],
    [{ LOCKBOX_OIDC_TOKEN_FILE: "/nonexistent/lockbox-token" }, "Cannot read LOCKBOX_OIDC_TOKEN_FILE"],
  ])("exits 2 for %j", async (change, message) => {
    const result = await runCli(["secret", "list"], { env: { ...env(), ...change } });
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(2);
  });
});

describe("the SDK's access through an identity", () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  const access = () =>
    serverAccess(
      server.url,
      parseConfig("client", { env: { LOCKBOX_IDENTITY: "reader", LOCKBOX_OIDC_TOKEN_FILE: tokenFile } }),
    );

  it("exchanges once while its token is fresh, and again, reading the file anew, before it expires", async () => {
    writeFileSync(tokenFile, await podToken());
    const { bearer } = access();
    const before = await exchanges("identity.exchange");
    const [first, concurrent] = await Promise.all([bearer(), bearer()]);
    expect(concurrent).toBe(first);
    expect(await bearer()).toBe(first);
    expect(await exchanges("identity.exchange")).toBe(before + 1);

    // The pod's token was replaced by one the identity refuses: the renewal must read it.
    writeFileSync(tokenFile, await cluster.serviceAccountToken("billing", "reader", audience));
    vi.setSystemTime(Date.now() + 31_000); // 60 s TTL: renewed with 30 s left
    await expect(bearer()).rejects.toThrow("not allowed");

    writeFileSync(tokenFile, await podToken("other-reader"));
    const renewed = await bearer();
    expect(renewed).not.toBe(first);
    expect(await exchanges("identity.exchange")).toBe(before + 2);
    const listed = await fetch(`${server.url}/v1/environments/main/secrets`, {
      headers: { authorization: `Bearer ${renewed}` },
    });
    expect(listed.status).toBe(200);
  });
});
