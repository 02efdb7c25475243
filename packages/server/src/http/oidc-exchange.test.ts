import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportSPKI, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startOidcIssuer, type TestOidcIssuer } from "../test-support/oidc-issuer.js";
import { callApi, startTestServer, type TestServer } from "../test-support/test-server.js";

// Issue 17: a platform's token becomes a Lockbox token of its identity's role and environment,
// and nothing more; every refusal is "not allowed" to the caller and names its check in the audit log.

const canary = { main: `CANARY-MAIN-${Math.random()}`, prod: `CANARY-PROD-${Math.random()}` };
const audience = "lockbox-test";

let server: TestServer;
let github: TestOidcIssuer;
let cluster: TestOidcIssuer;

const exchange = (identity: string, token: string) =>
  callApi(server.url, "POST", "/v1/auth/oidc", { body: { identity, token } });

/** Jumps the clock (Date only) by `seconds`: token lifetimes and jose's key cache follow it. */
const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

async function auditTargets(action: string): Promise<string[]> {
  const answer = await server.call("GET", "/v1/audit?limit=1000");
  return answer.body.entries
    .filter((e: { action: string }) => e.action === action)
    .map((e: { target: string }) => e.target);
}

beforeAll(async () => {
  server = await startTestServer();
  github = await startOidcIssuer();
  cluster = await startOidcIssuer({ alg: "ES256" });
  await server.call("POST", "/v1/environments", { body: { name: "prod" } });
  await server.call("POST", "/v1/environments/main/secrets", {
    body: { name: "in-main", values: { A: canary.main } },
  });
  await server.call("POST", "/v1/environments/prod/secrets", {
    body: { name: "in-prod", values: { P: canary.prod } },
  });
  const made = await Promise.all([
    server.call("POST", "/v1/identities", {
      body: {
        name: "deploy",
        issuer: github.issuer,
        audience,
        subject: "repo:acme/*:ref:refs/heads/main",
        claims: { repository_owner: "acme" },
        role: "viewer",
        environment: "main",
        ttlSeconds: 60,
      },
    }),
    server.call("POST", "/v1/identities", {
      body: {
        name: "reader",
        issuer: cluster.issuer,
        audience,
        subject: "system:serviceaccount:payments:reader",
        role: "developer",
        environment: "prod",
      },
    }),
  ]);
  // An issuer nothing answers for (port 1 on loopback is closed).
  made.push(
    await server.call("POST", "/v1/identities", {
      body: {
        name: "gone",
        issuer: "http://127.0.0.1:1",
        audience,
        subject: "repo:acme/app:ref:refs/heads/main",
        role: "viewer",
      },
    }),
  );
  expect(made.map((answer) => answer.status)).toEqual([201, 201, 201]);
});
afterAll(async () => {
  await server?.dispose();
  await github?.close();
  await cluster?.close();
});
// One clock for the whole file, that only moves forward: jose's cache times stay in its past.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
});
afterAll(() => {
  vi.useRealTimers();
});

describe("POST /v1/auth/oidc", () => {
  it("turns a GitHub Actions token into a viewer token of main only, which expires with the identity's TTL", async () => {
    const jwt = await github.githubToken("acme/app", audience);
    const answer = await exchange("deploy", jwt);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ role: "viewer", environment: "main" });
    const lifetime = Date.parse(answer.body.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(50_000);
    expect(lifetime).toBeLessThanOrEqual(60_000);
    const token = answer.body.token as string;
    const as = (method: string, path: string) => server.call(method, path, { token });
    const listed = await as("GET", "/v1/environments/main/secrets");
    expect(listed.status).toBe(200);
    expect(listed.text).toContain("in-main");
    expect(listed.text).not.toContain(canary.main);
    expect((await as("GET", "/v1/environments/main/secrets/in-main/values")).status).toBe(403);
    expect((await as("GET", "/v1/environments/prod/secrets")).status).toBe(403);
    expect((await as("GET", "/v1/tokens")).status).toBe(403);
    expect(await auditTargets("identity.exchange")).toContain(
      "identity 'deploy', sub 'repo:acme/app:ref:refs/heads/main'",
    );
    const audit = await server.call("GET", "/v1/audit?limit=1000");
    expect(audit.text).not.toContain(jwt);
    expect(audit.text).not.toContain(token);
    advance(61);
    const expired = await as("GET", "/v1/environments/main/secrets");
    expect(expired.status).toBe(401);
  });

  it("turns a Kubernetes service account's token into a developer token of prod", async () => {
    const answer = await exchange(
      "reader",
      await cluster.serviceAccountToken("payments", "reader", audience),
    );
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ role: "developer", environment: "prod" });
    const token = answer.body.token as string;
    const values = await server.call("GET", "/v1/environments/prod/secrets/in-prod/values", { token });
    expect(values.body.values).toEqual({ P: canary.prod });
    expect((await server.call("GET", "/v1/environments/main/secrets/in-main/values", { token })).status).toBe(
      403,
    );
  });

  it("ends the Lockbox token when the platform's token ends, if that is sooner", async () => {
    const answer = await exchange(
      "deploy",
      await github.githubToken("acme/app", audience, { expiresIn: 20 }),
    );
    expect(answer.status).toBe(200);
    expect(Date.parse(answer.body.expiresAt) - Date.now()).toBeLessThanOrEqual(20_000);
    advance(21);
    expect(
      (await server.call("GET", "/v1/environments/main/secrets", { token: answer.body.token })).status,
    ).toBe(401);
  });

  const refusals: [string, string, () => Promise<string>, string][] = [
    [
      "an expired token",
      "deploy",
      () => github.githubToken("acme/app", audience, { expiresIn: -120 }),
      "exp",
    ],
    [
      "a token without exp",
      "deploy",
      () => github.githubToken("acme/app", audience, { omit: ["exp"] }),
      "exp",
    ],
    [
      "a token not yet valid",
      "deploy",
      () => github.githubToken("acme/app", audience, { notBefore: 120 }),
      "nbf",
    ],
    [
      "a token issued in the future",
      "deploy",
      () => github.githubToken("acme/app", audience, { issuedAt: 120 }),
      "iat",
    ],
    [
      "a wrong iss",
      "deploy",
      () => github.githubToken("acme/app", audience, { claims: { iss: "https://elsewhere.example" } }),
      "iss",
    ],
    ["a wrong aud", "deploy", () => github.githubToken("acme/app", "someone-else"), "aud"],
    ["a missing aud", "deploy", () => github.githubToken("acme/app", audience, { omit: ["aud"] }), "aud"],
    [
      "a sub one segment off the glob",
      "deploy",
      () =>
        github.githubToken("acme/app", audience, {
          claims: { sub: "repo:acme/app:environment:x:ref:refs/heads/main" },
        }),
      "sub",
    ],
    [
      "another branch",
      "deploy",
      () => github.githubToken("acme/app", audience, { ref: "refs/heads/dev" }),
      "sub",
    ],
    [
      "a missing --claim",
      "deploy",
      () => github.mint({ sub: "repo:acme/app:ref:refs/heads/main", aud: audience }),
      "claim repository_owner",
    ],
    [
      "a --claim of another value",
      "deploy",
      () => github.githubToken("acme/app", audience, { claims: { repository_owner: "evil" } }),
      "claim repository_owner",
    ],
    ["alg: none", "deploy", async () => unsigned(await github.githubToken("acme/app", audience)), "alg"],
    ["HS256 signed with the public key", "deploy", () => hmacWithPublicKey(), "alg"],
    [
      "a token of another identity's issuer",
      "deploy",
      () => cluster.serviceAccountToken("payments", "reader", audience),
      "iss",
    ],
    [
      "another issuer's key claiming this issuer",
      "deploy",
      () => cluster.githubToken("acme/app", audience, { claims: { iss: github.issuer } }),
      "kid",
    ],
    ["an identity that does not exist", "nobody", () => github.githubToken("acme/app", audience), "identity"],
    ["not a JWT", "deploy", async () => "not-a-jwt", "malformed"],
    ["a payload changed after signing", "deploy", () => tampered(), "signature"],
    [
      "an issuer whose discovery fails",
      "gone",
      () => github.githubToken("acme/app", audience, { claims: { iss: "http://127.0.0.1:1" } }),
      "discovery",
    ],
  ];

  it.each(
    refusals,
  )("refuses %s: 401 'not allowed', audited with its check", async (_label, identity, make, check) => {
    const answer = await exchange(identity, await make());
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: { code: "unauthenticated", message: "not allowed", requestId: expect.any(String) },
    });
    const targets = await auditTargets("identity.exchange.refused");
    expect(targets.at(0)).toMatch(new RegExp(`^identity '${identity}', sub .*: failed check ${check}$`));
  });

  it("refuses an unknown kid after one refetch of the JWKS finds nothing", async () => {
    await exchange("deploy", await github.githubToken("acme/app", audience)); // keys cached
    const missing = await github.addKey();
    github.dropKey(missing);
    advance(31); // past jose's refetch cooldown
    const before = github.jwksFetches();
    const answer = await exchange("deploy", await github.githubToken("acme/app", audience, { kid: missing }));
    expect(answer.status).toBe(401);
    expect(github.jwksFetches()).toBe(before + 1);
    expect((await auditTargets("identity.exchange.refused")).at(0)).toMatch(/failed check kid$/);
    // Within the cooldown, another unknown kid is refused without fetching again.
    await exchange("deploy", await github.githubToken("acme/app", audience, { kid: missing }));
    expect(github.jwksFetches()).toBe(before + 1);
  });

  it("asks an issuer that is down once per cooldown, however many tokens name it", async () => {
    let asked = 0;
    const down = createServer((_request, response) => {
      asked += 1;
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => down.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(down.address() as AddressInfo).port}`;
    try {
      const made = await server.call("POST", "/v1/identities", {
        body: {
          name: "flaky",
          issuer,
          audience,
          subject: "repo:acme/app:ref:refs/heads/main",
          role: "viewer",
        },
      });
      expect(made.status).toBe(201);
      const token = await github.githubToken("acme/app", audience, { claims: { iss: issuer } });
      advance(61); // a new window of the failure limits, which earlier refusals filled
      const answers = await Promise.all(Array.from({ length: 5 }, () => exchange("flaky", token)));
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401]);
      await exchange("flaky", token);
      expect(asked).toBe(1);
      advance(31); // past the cooldown
      await exchange("flaky", token);
      expect(asked).toBe(2);
    } finally {
      down.close();
    }
  });

  it("follows the issuer's key rotation: a new kid verifies, an old one stops once dropped", async () => {
    const old = await github.githubToken("acme/app", audience);
    expect((await exchange("deploy", old)).status).toBe(200);
    const oldKid = JSON.parse(Buffer.from(old.split(".")[0] ?? "", "base64url").toString()).kid as string;
    const newKid = await github.addKey("EdDSA");
    advance(31);
    expect(
      (await exchange("deploy", await github.githubToken("acme/app", audience, { kid: newKid }))).status,
    ).toBe(200);
    github.dropKey(oldKid);
    advance(11 * 60); // past the cached key set's age
    expect(
      (await exchange("deploy", await github.githubToken("acme/app", audience, { kid: oldKid }))).status,
    ).toBe(401);
    expect((await auditTargets("identity.exchange.refused")).at(0)).toMatch(/failed check kid$/);
    expect(
      (await exchange("deploy", await github.githubToken("acme/app", audience, { kid: newKid }))).status,
    ).toBe(200);
  });

  it("revokes the tokens an identity gave when it is deleted, and no other", async () => {
    const body = {
      issuer: github.issuer,
      audience,
      subject: "repo:acme/app:ref:refs/heads/main",
      role: "viewer",
    };
    for (const name of ["brief", "other"])
      expect((await server.call("POST", "/v1/identities", { body: { name, ...body } })).status).toBe(201);
    const token = await github.githubToken("acme/app", audience);
    const [given, kept] = await Promise.all(
      ["brief", "other"].map(async (name) => (await exchange(name, token)).body.token),
    );
    const lists = (bearer: string) => server.call("GET", "/v1/environments/main/secrets", { token: bearer });
    expect((await lists(given)).status).toBe(200);
    expect((await server.call("DELETE", "/v1/identities/brief")).status).toBe(200);
    expect((await lists(given)).status).toBe(401);
    expect((await lists(kept)).status).toBe(200);
  });

  it("refuses an identity whose environment was deleted since", async () => {
    await server.call("POST", "/v1/environments", { body: { name: "temp" } });
    const made = await server.call("POST", "/v1/identities", {
      body: {
        name: "temp",
        issuer: github.issuer,
        audience,
        subject: "repo:acme/app:ref:refs/heads/main",
        role: "viewer",
        environment: "temp",
      },
    });
    expect(made.status).toBe(201);
    expect((await server.call("DELETE", "/v1/environments/temp")).status).toBe(200);
    const answer = await exchange("temp", await github.githubToken("acme/app", audience));
    expect(answer.status).toBe(401);
    expect((await auditTargets("identity.exchange.refused")).at(0)).toMatch(/failed check environment$/);
  });

  it("answers 400 naming the field for a bad body", async () => {
    const answer = await callApi(server.url, "POST", "/v1/auth/oidc", { body: { identity: "deploy" } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain("token");
  });
});

/** A valid token of another repository whose payload is then changed to name acme/app. */
async function tampered(): Promise<string> {
  const [header, payload, signature] = (await github.githubToken("acme/other", audience)).split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
  const changed = { ...claims, sub: "repo:acme/app:ref:refs/heads/main", repository_owner: "acme" };
  return `${header}.${Buffer.from(JSON.stringify(changed)).toString("base64url")}.${signature}`;
}

/** The token with `alg: none` and no signature. */
function unsigned(jwt: string): string {
  const [, payload] = jwt.split(".");
  return `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
}

/** The classic confusion: HS256 with the issuer's public key (as served in its JWKS) as the secret. */
async function hmacWithPublicKey(): Promise<string> {
  const jwks = (await (await fetch(`${github.issuer}/keys`)).json()) as {
    keys: { kid: string; alg: string }[];
  };
  const jwk = jwks.keys[0];
  if (!jwk) throw new Error("no key served");
  const pem = await exportSPKI((await importJWK(jwk, jwk.alg)) as CryptoKey);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: github.issuer,
    aud: audience,
    sub: "repo:acme/app:ref:refs/heads/main",
    repository_owner: "acme",
    iat: now,
    exp: now + 300,
  })
    .setProtectedHeader({ alg: "HS256", kid: jwk.kid })
    .sign(new TextEncoder().encode(pem));
}

describe("POST /v1/auth/oidc under a flood of refusals", () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ maxFailedAuthentications: 2 });
    const made = await limited.call("POST", "/v1/identities", {
      body: {
        name: "deploy",
        issuer: github.issuer,
        audience,
        subject: "repo:acme/app:ref:refs/heads/main",
        role: "viewer",
      },
    });
    expect(made.status).toBe(201);
  });
  afterAll(() => limited?.dispose());

  it("answers 429 past the limit, and still exchanges a valid token", async () => {
    const bad = await github.githubToken("acme/app", "someone-else");
    const send = (token: string) =>
      callApi(limited.url, "POST", "/v1/auth/oidc", { body: { identity: "deploy", token } });
    expect((await send(bad)).status).toBe(401);
    expect((await send(bad)).status).toBe(401);
    const third = await send(bad);
    expect(third.status).toBe(429);
    expect((await send(bad)).status).toBe(429);
    expect((await send(await github.githubToken("acme/app", audience))).status).toBe(200);
    const audit = await limited.call("GET", "/v1/audit?limit=1000");
    const refused = audit.body.entries.filter(
      (e: { action: string }) => e.action === "identity.exchange.refused",
    );
    expect(refused.map((e: { target: string }) => e.target.replace(/.*: failed check /, ""))).toEqual([
      "limit of refused exchanges reached",
      "aud",
      "aud",
    ]);
  });
});
