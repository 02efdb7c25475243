import { readFile } from "node:fs/promises";
import type { Config } from "@lockbox/server/config";
import { AuthenticationError, InvalidError } from "@lockbox/server/shared";
import { answeredError, reach } from "./http-client.js";

/** A Lockbox server, and the bearer token to send it: fixed, or one an exchange keeps fresh. */
export interface ServerAccess {
  url: string;
  bearer(): Promise<string>;
}

interface Exchanged {
  token: string;
  renewAt: number;
}

/** A token from an exchange is renewed once a fifth of its life is left, and at least 30 s early. */
function renewalTime(expiresAt: string, now: number): number {
  const expiry = Date.parse(expiresAt);
  return expiry - Math.max((expiry - now) / 5, 30_000);
}

/**
 * Lockbox tokens for `identity`, each exchanged for the platform's token (`POST /v1/auth/oidc`)
 * and used until it is due for renewal. A token file is read again at each exchange, as the
 * platform replaces it (a Kubernetes projected token is, before it expires).
 */
function exchangedBearer(
  url: string,
  exchange: { identity: string; workspace?: string | undefined; platformToken: () => Promise<string> },
): () => Promise<string> {
  const base = url.replace(/\/+$/, "");
  let current: Exchanged | undefined;
  let pending: Promise<Exchanged> | undefined;

  async function renew(): Promise<Exchanged> {
    const body = {
      identity: exchange.identity,
      token: await exchange.platformToken(),
      workspace: exchange.workspace,
    };
    const response = await reach(base, `${base}/v1/auth/oidc`, {
      method: "POST",
      // The platform's token goes to this server only, never where a redirect points.
      redirect: "manual",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const payload = (await response.json().catch(() => undefined)) as { token: string; expiresAt: string };
    if (!response.ok) throw answeredError(response.status, payload);
    return { token: payload.token, renewAt: renewalTime(payload.expiresAt, Date.now()) };
  }

  return async () => {
    if (current && Date.now() < current.renewAt) return current.token;
    // Concurrent calls share one exchange.
    pending ??= renew().finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current.token;
  };
}

/** The platform's token: `LOCKBOX_OIDC_TOKEN`, else the file `LOCKBOX_OIDC_TOKEN_FILE` names. */
function platformToken(config: Config<"client">): () => Promise<string> {
  const { oidcToken, oidcTokenFile } = config;
  if (oidcToken) return async () => oidcToken;
  if (!oidcTokenFile) {
    throw new InvalidError(
      "LOCKBOX_IDENTITY needs the platform's token: set LOCKBOX_OIDC_TOKEN, or LOCKBOX_OIDC_TOKEN_FILE to a file holding it",
    );
  }
  return async () => {
    let text: string;
    try {
      text = await readFile(oidcTokenFile, "utf8");
    } catch (error) {
      throw new InvalidError(
        `Cannot read LOCKBOX_OIDC_TOKEN_FILE (${oidcTokenFile}): ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    const token = text.trim();
    if (!token) throw new InvalidError(`LOCKBOX_OIDC_TOKEN_FILE (${oidcTokenFile}) is empty`);
    return token;
  };
}

/**
 * How to reach `url`: with `token` when one is given or `LOCKBOX_TOKEN` is set, else through the
 * identity `LOCKBOX_IDENTITY` names.
 */
export function serverAccess(url: string, config: Config<"client">, token?: string): ServerAccess {
  const fixed = token || config.token;
  if (fixed && config.identity && !token) {
    throw new InvalidError("Set LOCKBOX_TOKEN or LOCKBOX_IDENTITY, not both: each is a way to sign in");
  }
  if (fixed) return { url, bearer: async () => fixed };
  if (config.identity) {
    const exchange = {
      identity: config.identity,
      workspace: config.identityWorkspace,
      platformToken: platformToken(config),
    };
    return { url, bearer: exchangedBearer(url, exchange) };
  }
  throw new AuthenticationError(
    `No token for the Lockbox server at ${url}: set LOCKBOX_TOKEN to a token for it, or LOCKBOX_IDENTITY to an identity`,
  );
}
