import { randomUUID } from "node:crypto";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from "jose";
import type { Envelope } from "../crypto/envelope.js";
import type { Store } from "../store/store.js";

/** The algorithm of functions' identity tokens: ES256, what cloud providers' OIDC federation accepts most widely. */
export const identityAlgorithm = "ES256";
/** The audience of every function's identity token. */
const identityAudience = "lockbox";
/** How long a function's identity token is valid. */
const identityTokenLifetimeSeconds = 15 * 60;

const signingKeyName = "identity-signing";

/**
 * What a function's token names: `lockbox:workspace:W:environment:E:app:A:function:F`; a run's
 * function `…:environment:E:run:TAG:app:A:function:F`, two segments more, so that no pattern for
 * a deploy's functions matches a run, whose caller chose its code and its app's name.
 */
export interface IdentitySubject {
  workspace: string;
  environment: string;
  run?: string | undefined;
  app: string;
  function: string;
}

const identitySubject = (subject: IdentitySubject): string =>
  [
    `lockbox:workspace:${subject.workspace}:environment:${subject.environment}`,
    ...(subject.run === undefined ? [] : [`run:${subject.run}`]),
    `app:${subject.app}:function:${subject.function}`,
  ].join(":");

interface SigningKey {
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  publicJwk: JWK;
}

async function generateSigningKey(): Promise<Buffer> {
  const { privateKey } = await generateKeyPair(identityAlgorithm, { extractable: true });
  return Buffer.from(JSON.stringify(await exportJWK(privateKey)));
}

async function signingKeyOf(stored: Buffer): Promise<SigningKey> {
  const { kty, crv, x, y, d } = JSON.parse(stored.toString("utf8")) as Record<
    "kty" | "crv" | "x" | "y" | "d",
    string
  >;
  const publicPart = { kty, crv, x, y } as JWK;
  // The key's RFC 7638 thumbprint: the same `kid` on every instance, whatever wraps the key.
  const kid = await calculateJwkThumbprint(publicPart);
  return {
    privateKey: await importJWK({ ...publicPart, d }, identityAlgorithm),
    publicJwk: { ...publicPart, kid, alg: identityAlgorithm, use: "sig" },
  };
}

/**
 * The store's identity signing key (an ES256 key pair, its private half wrapped by the master
 * key like the audit chain's key, so a master-key rotation re-wraps it): made by the first
 * instance that needs it and shared by every instance on the same database.
 */
async function loadSigningKey(store: Store, envelope: Envelope): Promise<SigningKey> {
  const existing = await store.keys.findStoreKey(signingKeyName);
  const stored = existing ? envelope.unwrapKey(signingKeyName, existing) : await generateSigningKey();
  try {
    if (existing) return await signingKeyOf(stored);
    // Wrapped under the current master key held FOR SHARE: a rotation switching keys waits for it.
    await store.transaction(async (tx) =>
      tx.keys.insertStoreKeyIfMissing({
        name: signingKeyName,
        ...envelope.wrapKey(signingKeyName, stored, await tx.keys.currentMasterKeyId()),
        createdAt: new Date().toISOString(),
      }),
    );
  } finally {
    stored.fill(0);
  }
  // Read back: when another instance inserted first, its key is the one.
  return loadSigningKey(store, envelope);
}

/** Signs functions' identity tokens and publishes the key that verifies them. */
export function createIdentitySigner(deps: { store: Store; envelope: Envelope }) {
  let key: Promise<SigningKey> | undefined;
  const signingKey = () => {
    key ??= loadSigningKey(deps.store, deps.envelope).catch((error: unknown) => {
      key = undefined; // the next request tries again
      throw error;
    });
    return key;
  };
  return {
    /** The public keys that verify identity tokens (`/.well-known/jwks.json`). */
    async jwks(): Promise<JSONWebKeySet> {
      return { keys: [(await signingKey()).publicJwk] };
    },

    /** A token for `subject`, issued by `issuer` now and valid for `identityTokenLifetimeSeconds`. */
    async mint(issuer: string, subject: IdentitySubject): Promise<{ token: string; expiresAtMs: number }> {
      const { privateKey, publicJwk } = await signingKey();
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + identityTokenLifetimeSeconds;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: identityAlgorithm, kid: publicJwk.kid ?? "", typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(identitySubject(subject))
        .setAudience(identityAudience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
        .sign(privateKey);
      return { token, expiresAtMs: expiresAt * 1000 };
    },
  };
}

export type IdentitySigner = ReturnType<typeof createIdentitySigner>;

/** What the discovery routes serve: the issuer (the server's public URL, once known) and its keys. */
export interface FunctionIdentity {
  issuer(): string | undefined;
  jwks: IdentitySigner["jwks"];
}
