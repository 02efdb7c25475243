import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

type Algorithm = "RS256" | "ES256" | "EdDSA";

interface SigningKey {
  kid: string;
  alg: Algorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** How a test token is signed and what it claims on top of the platform's shape. */
export interface MintOptions {
  claims?: JWTPayload;
  /** Signs with this key (a `kid` the issuer made, served or not); default: the newest it serves. */
  kid?: string;
  /** Seconds from now: `exp` (default 300), `nbf`, `iat` (default 0). */
  expiresIn?: number;
  notBefore?: number;
  issuedAt?: number;
  /** Leaves the claim out altogether. */
  omit?: ("exp" | "aud" | "sub")[];
}

/** A real OIDC issuer on loopback: discovery and JWKS over HTTP, keys made with jose, rotatable. */
export interface TestOidcIssuer {
  /** The `iss` of its tokens and the base of its discovery document. */
  issuer: string;
  /** Requests its JWKS has answered. */
  jwksFetches(): number;
  /** Makes a new key and serves it beside the others; its `kid`. */
  addKey(alg?: Algorithm): Promise<string>;
  /** Stops serving the key `kid` (tokens it signed can still be minted). */
  dropKey(kid: string): void;
  /** Signs `payload` as the issuer (with `iss`, `iat`, `exp` and a `jti` filled in). */
  mint(payload: JWTPayload, options?: MintOptions): Promise<string>;
  /** A GitHub Actions job's token for `owner/repo` at `ref`, for `audience`. */
  githubToken(
    repository: string,
    audience: string,
    options?: MintOptions & { ref?: string },
  ): Promise<string>;
  /** A Kubernetes service account's projected token. */
  serviceAccountToken(
    namespace: string,
    name: string,
    audience: string,
    options?: MintOptions,
  ): Promise<string>;
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<AddressInfo>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server.address() as AddressInfo)),
  );

/** Starts an issuer on 127.0.0.1 with one `alg` key (default RS256); http, which loopback allows. */
export async function startOidcIssuer(options: { alg?: Algorithm } = {}): Promise<TestOidcIssuer> {
  const keys: SigningKey[] = [];
  const served = new Set<string>();
  let fetches = 0;
  let issuer = "";
  const server = createServer((request, response) => {
    const send = (body: unknown) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url === "/.well-known/openid-configuration")
      return send({
        issuer,
        jwks_uri: `${issuer}/keys`,
        id_token_signing_alg_values_supported: ["RS256", "ES256", "EdDSA"],
      });
    if (request.url === "/keys") {
      fetches += 1;
      return send({ keys: keys.filter((key) => served.has(key.kid)).map((key) => key.publicJwk) });
    }
    response.writeHead(404).end();
  });
  const address = await listen(server);
  issuer = `http://127.0.0.1:${address.port}`;

  async function addKey(alg: Algorithm = options.alg ?? "RS256"): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519" } : {});
    const kid = randomUUID();
    keys.push({ kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } });
    served.add(kid);
    return kid;
  }
  await addKey();

  async function mint(payload: JWTPayload, mintOptions: MintOptions = {}): Promise<string> {
    const newestServed = keys.filter((k) => served.has(k.kid)).at(-1)?.kid;
    const key = keys.find((k) => k.kid === (mintOptions.kid ?? newestServed));
    if (!key) throw new Error(`no key ${mintOptions.kid}`);
    const now = Math.floor(Date.now() / 1000);
    const omit = new Set(mintOptions.omit ?? []);
    const claims: JWTPayload = {
      iss: issuer,
      iat: now + (mintOptions.issuedAt ?? 0),
      exp: now + (mintOptions.expiresIn ?? 300),
      jti: randomUUID(),
      ...(mintOptions.notBefore === undefined ? {} : { nbf: now + mintOptions.notBefore }),
      ...payload,
      ...mintOptions.claims,
    };
    for (const claim of omit) delete claims[claim];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .sign(key.privateKey);
  }

  return {
    issuer,
    jwksFetches: () => fetches,
    addKey,
    dropKey: (kid) => served.delete(kid),
    mint,
    githubToken: (repository, audience, { ref = "refs/heads/main", ...rest } = {}) =>
      mint(
        {
          sub: `repo:${repository}:ref:${ref}`,
          aud: audience,
          repository,
          repository_owner: repository.split("/")[0],
          ref,
          ref_type: "branch",
          workflow: "deploy",
          event_name: "push",
        },
        rest,
      ),
    serviceAccountToken: (namespace, name, audience, rest = {}) =>
      mint(
        {
          sub: `system:serviceaccount:${namespace}:${name}`,
          aud: [audience],
          "kubernetes.io": { namespace, serviceaccount: { name, uid: randomUUID() } },
        },
        rest,
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
