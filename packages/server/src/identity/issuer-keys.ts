import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import { issuerProblem } from "../shared/identity-rules.js";

export interface IssuerKeysOptions {
  /** How long an issuer's discovery document is kept before it is read again. */
  discoveryMaxAgeMs?: number | undefined;
  /** After a JWKS fetch, how long an unknown `kid` is refused without fetching again (jose's cooldown). */
  refetchCooldownMs?: number | undefined;
  /** How long one fetch (discovery or JWKS) may take. */
  fetchTimeoutMs?: number | undefined;
}

/** The issuer's keys could not be found: its discovery document is unreachable or not as OIDC says. */
export class DiscoveryError extends Error {}

interface IssuerEntry {
  fetchedAt: number;
  jwksUri: string;
  keys: JWTVerifyGetKey;
}

/** `issuer` + `/.well-known/openid-configuration`, as OIDC Discovery 1.0 §4 builds it. */
const discoveryUrl = (issuer: string) => `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;

async function fetchDiscovery(issuer: string, timeoutMs: number): Promise<string> {
  const response = await fetch(discoveryUrl(issuer), {
    redirect: "manual",
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    throw new DiscoveryError(`discovery unreachable: ${(error as Error).name}`);
  });
  if (response.status !== 200) throw new DiscoveryError(`discovery answered ${response.status}`);
  const document = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  // The document must be the issuer's own (OIDC Discovery §4.3), and its keys served as safely.
  if (document?.issuer !== issuer) throw new DiscoveryError("discovery names another issuer");
  const jwksUri = document.jwks_uri;
  if (typeof jwksUri !== "string" || issuerProblem(jwksUri) !== undefined)
    throw new DiscoveryError("discovery has no https (or loopback) jwks_uri");
  return jwksUri;
}

/**
 * Each issuer's signing keys, found through its discovery document and its `jwks_uri`, cached per
 * issuer. jose's remote key set refetches the JWKS when a token names an unknown `kid`, at most
 * once per cooldown, and when its copy is older than ten minutes.
 */
export function createIssuerKeys(options: IssuerKeysOptions = {}) {
  const discoveryMaxAgeMs = options.discoveryMaxAgeMs ?? 10 * 60_000;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
  const cooldownMs = options.refetchCooldownMs ?? 30_000;
  const issuers = new Map<string, IssuerEntry>();
  // Anyone may send a token naming an issuer: while it is down, one fetch per cooldown, shared.
  const pending = new Map<string, Promise<JWTVerifyGetKey>>();
  const failures = new Map<string, { at: number; error: DiscoveryError }>();

  async function discover(issuer: string, cached: IssuerEntry | undefined): Promise<JWTVerifyGetKey> {
    let jwksUri: string;
    try {
      jwksUri = await fetchDiscovery(issuer, fetchTimeoutMs);
    } catch (error) {
      if (error instanceof DiscoveryError) failures.set(issuer, { at: Date.now(), error });
      throw error;
    }
    failures.delete(issuer);
    // A new discovery that names the same key set keeps the keys, and their cooldown.
    const keys =
      cached?.jwksUri === jwksUri
        ? cached.keys
        : createRemoteJWKSet(new URL(jwksUri), {
            cooldownDuration: cooldownMs,
            timeoutDuration: fetchTimeoutMs,
          });
    issuers.set(issuer, { fetchedAt: Date.now(), jwksUri, keys });
    return keys;
  }

  return {
    /** The key resolver of `issuer`'s tokens; `DiscoveryError` when its discovery document fails. */
    async keysOf(issuer: string): Promise<JWTVerifyGetKey> {
      const cached = issuers.get(issuer);
      if (cached && Date.now() - cached.fetchedAt < discoveryMaxAgeMs) return cached.keys;
      const failure = failures.get(issuer);
      if (failure && Date.now() - failure.at < cooldownMs) throw failure.error;
      let fetching = pending.get(issuer);
      if (!fetching) {
        fetching = discover(issuer, cached).finally(() => pending.delete(issuer));
        pending.set(issuer, fetching);
      }
      return fetching;
    },
  };
}

export type IssuerKeys = ReturnType<typeof createIssuerKeys>;
