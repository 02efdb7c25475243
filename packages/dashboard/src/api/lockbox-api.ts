import { createApiClient } from "./api-client.js";
import type { AuditEntry, EnvironmentInfo, SecretInfo, Session, Values, VersionInfo } from "./types.js";

export interface SecretRef {
  environment: string;
  name: string;
}

export interface SecretChange {
  set: Values;
  unset: string[];
  ifVersion: number;
}

const environmentPath = (environment: string) => `/environments/${encodeURIComponent(environment)}`;
const secretPath = (ref: SecretRef, suffix = "") =>
  `${environmentPath(ref.environment)}/secrets/${encodeURIComponent(ref.name)}${suffix}`;

// The server's largest page; a longer list is read page by page, newest first.
const pageSize = 1000;

/** The part of the HTTP API the dashboard uses. `onUnauthenticated` runs when the session ends. */
export function createLockboxApi(onUnauthenticated: () => void) {
  const { call, setCsrfToken } = createApiClient(onUnauthenticated);
  const started = (session: Session) => {
    setCsrfToken(session.csrfToken);
    return session;
  };

  async function listSecrets(environment: string): Promise<SecretInfo[]> {
    const all: SecretInfo[] = [];
    for (;;) {
      const createdBefore = all.at(-1)?.createdAt;
      const { secrets } = await call<{ secrets: SecretInfo[] }>(
        "GET",
        `${environmentPath(environment)}/secrets`,
        {
          query: { limit: pageSize, createdBefore },
        },
      );
      all.push(...secrets);
      if (secrets.length < pageSize) return all;
    }
  }

  return {
    restoreSession: async () => started(await call<Session>("GET", "/session")),
    signIn: async (token: string) => started(await call<Session>("POST", "/sessions", { body: { token } })),
    signOut: () => call<unknown>("DELETE", "/session"),
    environments: async () =>
      (await call<{ environments: EnvironmentInfo[] }>("GET", "/environments")).environments,
    listSecrets,
    getSecret: (ref: SecretRef) => call<SecretInfo>("GET", secretPath(ref)),
    createSecret: (environment: string, name: string, values: Values) =>
      call<{ secret: SecretInfo }>("POST", `${environmentPath(environment)}/secrets`, {
        body: { name, values },
      }),
    updateSecret: (ref: SecretRef, change: SecretChange) =>
      call<SecretInfo>("PATCH", secretPath(ref), { body: change }),
    deleteSecret: (ref: SecretRef) => call<{ deleted: boolean }>("DELETE", secretPath(ref)),
    revealSecret: async (ref: SecretRef) =>
      (await call<{ values: Values }>("GET", secretPath(ref, "/values"))).values,
    history: async (ref: SecretRef) =>
      (await call<{ versions: VersionInfo[] }>("GET", secretPath(ref, "/history"))).versions,
    rollback: (ref: SecretRef, version: number) =>
      call<SecretInfo>("POST", secretPath(ref, "/rollback"), { body: { version } }),
    audit: async (beforeId?: number) =>
      (await call<{ entries: AuditEntry[] }>("GET", "/audit", { query: { limit: 100, beforeId } })).entries,
  };
}

export type LockboxApi = ReturnType<typeof createLockboxApi>;
