import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRun } from "../test-support/run-stream.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const base = "/v1/environments/main";

// Fills the registry as an SDK bundle does. `reveal` answers its token reversed (which the mask
// does not know), so the test can verify it; `print` writes it and answers it as it is.
const bundle = `
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
registry.push(async () => [...(process.env.LOCKBOX_IDENTITY_TOKEN ?? "")].reverse().join(""));
registry.push(async () => {
  console.log("token: " + process.env.LOCKBOX_IDENTITY_TOKEN);
  return process.env.LOCKBOX_IDENTITY_TOKEN;
});
`;

let server: TestServer;

const call = (fn: string) =>
  server.call("POST", `${base}/apps/ident/functions/${fn}/call`, { body: { args: [] } });

/** The token `reveal` answered, reversed back. */
function revealed(answer: { status: number; body: { result?: unknown } }): string {
  expect(answer.status).toBe(200);
  return [...(answer.body.result as string)].reverse().join("");
}

/** The token a container of `reveal` was given. */
const revealedToken = async () => revealed(await call("reveal"));

/** The claims of a token, verified against `server`'s JWKS. */
async function verifiedClaims(token: string, issuer = server) {
  const keys = createRemoteJWKSet(new URL(`${issuer.url}/.well-known/jwks.json`));
  return jwtVerify(token, keys, { issuer: issuer.url, audience: "lockbox", algorithms: ["ES256"] });
}

beforeAll(async () => {
  server = await startTestServer();
  const deployed = await server.call("POST", `${base}/apps/ident/deployments`, {
    body: {
      bundle,
      functions: [
        { name: "reveal", index: 0, secrets: [] },
        { name: "print", index: 1, secrets: [] },
      ],
    },
  });
  expect(deployed.status).toBe(201);
});
afterAll(async () => {
  await server?.dispose();
});

describe("a function's identity token", () => {
  it("verifies against the server's JWKS, with every documented claim", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await revealedToken();
    const after = Math.floor(Date.now() / 1000);
    const { payload, protectedHeader } = await verifiedClaims(token);
    expect(payload.sub).toBe("lockbox:workspace:default:environment:main:app:ident:function:reveal");
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp).toBe((payload.iat ?? 0) + 15 * 60);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const jwks = await server.call("GET", "/.well-known/jwks.json", { token: null });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "JWT", kid: jwks.body.keys[0].kid });
  });

  it("is masked in the output and the result the caller sees", async () => {
    const answer = await call("print");
    expect(answer.status).toBe(200);
    expect(answer.body.output).toContain("token: ***\n");
    expect(answer.body.result).toBe("***");
    // No part of a token: a JWT's header and payload start with `eyJ` (base64url of `{"`).
    expect(answer.text).not.toMatch(/eyJ/);
  });

  it("names a run's function by its run and its app's name, or by the run alone for an unnamed app", async () => {
    const functions = [
      { index: 0, name: "reveal", app: "nightly", layers: [] },
      { index: 1, name: "print", layers: [] },
    ];
    const run = await openRun(server.url, server.adminToken, { bundle: `${bundle}\n// run`, functions });
    expect(run.status, run.text).toBe(200);
    try {
      const named = revealed(
        await server.call("POST", `/v1/runs/${run.id}/functions/0/call`, { body: { args: [] } }),
      );
      // The run is named too: no pattern for the deployed app `nightly` matches a run that claims its name.
      expect((await verifiedClaims(named)).payload.sub).toBe(
        `lockbox:workspace:default:environment:main:run:${run.id.slice(0, 12)}:app:nightly:function:reveal`,
      );
      const unnamed = await server.call("POST", `/v1/runs/${run.id}/functions/1/call`, {
        body: { args: [] },
      });
      expect(unnamed.body.output).toContain("token: ***\n");
    } finally {
      run.close();
    }
  });
});

describe("GET /.well-known/openid-configuration", () => {
  it("describes the issuer and its keys, without a credential", async () => {
    const answer = await server.call("GET", "/.well-known/openid-configuration", { token: null });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      issuer: server.url,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ["ES256"],
      subject_types_supported: ["public"],
      claims_supported: expect.arrayContaining(["iss", "sub", "aud", "exp", "jti"]),
    });
    const jwks = await server.call("GET", "/.well-known/jwks.json", { token: null });
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toEqual([
      expect.objectContaining({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" }),
    ]);
    expect(jwks.body.keys[0].d).toBeUndefined();
  });

  it("names the configured public URL as the issuer", async () => {
    const behindProxy = await startTestServer({ publicUrl: "https://lockbox.example.com/" });
    try {
      const answer = await behindProxy.call("GET", "/.well-known/openid-configuration", { token: null });
      expect(answer.body.issuer).toBe("https://lockbox.example.com");
      expect(answer.body.jwks_uri).toBe("https://lockbox.example.com/.well-known/jwks.json");
    } finally {
      await behindProxy.dispose();
    }
  });
});

describe("instances on one database", () => {
  it("share one signing key: a token one mints verifies with the other's JWKS", async () => {
    // A fresh store, whose key the two instances' first requests race to make.
    const first = await startTestServer();
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      const [one, other] = await Promise.all(
        [first, second].map((instance) => instance.call("GET", "/.well-known/jwks.json", { token: null })),
      );
      expect(other?.body).toEqual(one?.body);
      const deployed = await first.call("POST", `${base}/apps/ident/deployments`, {
        body: { bundle, functions: [{ name: "reveal", index: 0, secrets: [] }] },
      });
      expect(deployed.status).toBe(201);
      const token = revealed(
        await first.call("POST", `${base}/apps/ident/functions/reveal/call`, { body: { args: [] } }),
      );
      const keys = createRemoteJWKSet(new URL(`${second.url}/.well-known/jwks.json`));
      await expect(jwtVerify(token, keys, { issuer: first.url, audience: "lockbox" })).resolves.toBeDefined();
    } finally {
      await second.server.close();
      await first.dispose();
    }
  });
});
