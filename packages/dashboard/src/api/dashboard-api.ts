import { readAllPages } from "@lockbox/server/shared";
import { createApiClient } from "./api-client.js";
import type { AuditEntry, EnvironmentInfo, SecretMetadata, Session, Values, VersionInfo } from "./types.js";

export interface SecretRef {
  environment: string;
  name: string;
}

interface SecretChange {
  set: Values;
  unset: string[];
  ifVersion: number;
}

const environmentPath = (environment: string) => `/environments/${encodeURIComponent(environment)}`;
const secretPath = (ref: SecretRef, suffix = "") =>
  `${environmentPath(ref.environment)}/secrets/${encodeURIComponent(ref.name)}${suffix}`;

/** The part of the HTTP API the dashboard uses. `onUnauthenticated` runs when the session ends. */
export function createDashboardApi(onUnauthenticated: () => void) {
  const { call, setCsrfToken } = createApiClient(onUnauthenticated);
  const started = (session: Session) => {
    setCsrfToken(session.csrfToken);
    return session;
  };

  // Lists longer than the server's largest page are read page by page.
  const listSecrets = (environment: string) =>
    readAllPages(
      async (limit, createdBefore: string | undefined) =>
        (
          await call<{ secrets: SecretMetadata[] }>("GET", `${environmentPath(environment)}/secrets`, {
            query: { limit, createdBefore },
          })
        ).secrets,
      (last) => last.createdAt,
    );

  return {
    restoreSession: async () => started(await call<Session>("GET", "/session")),
    signIn: async (token: string) => started(await call<Session>("POST", "/sessions", { body: { token } })),
    signOut: () => call<unknown>("DELETE", "/session"),
    environments: () =>
      readAllPages(
        async (limit, after: string | undefined) =>
          (
            await call<{ environments: EnvironmentInfo[] }>("GET", "/environments", {
              query: { limit, after },
            })
          ).environments,
        (last) => last.name,
      ),
    listSecrets,
    getSecret: (ref: SecretRef) => call<SecretMetadata>("GET", secretPath(ref)),
    createSecret: (environment: string, name: string, values: Values) =>
      call<{ secret: SecretMetadata }>("POST", `${environmentPath(environment)}/secrets`, {
        body: { name, values },
      }),
    updateSecret: (ref: SecretRef, change: SecretChange) =>
      call<SecretMetadata>("PATCH", secretPath(ref), { body: change }),
    deleteSecret: (ref: SecretRef) => call<{ deleted: boolean }>("DELETE", secretPath(ref)),
    revealSecret: async (ref: SecretRef) =>
      (await call<{ values: Values }>("GET", secretPath(ref, "/values"))).values,
    history: (ref: SecretRef) =>
      readAllPages(
        async (limit, beforeVersion: number | undefined) =>
          (
            await call<{ versions: VersionInfo[] }>("GET", secretPath(ref, "/history"), {
              query: { limit, beforeVersion },
            })
          ).versions,
        (last) => last.version,
      ),
    rollback: (ref: SecretRef, version: number) =>
      call<SecretMetadata>("POST", secretPath(ref, "/rollback"), { body: { version } }),
    audit: async (beforeId?: number) =>
      (await call<{ entries: AuditEntry[] }>("GET", "/audit", { query: { limit: 100, beforeId } })).entries,
  };
}

export type DashboardApi = ReturnType<typeof createDashboardApi>;
