import type { LockboxApi, SecretRef } from "@lockbox/server";
import { errorFromCode, InternalError } from "@lockbox/server/shared";

export interface HttpClientOptions {
  url: string;
  token: string;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The Lockbox API over HTTP: the same contract, and the same error classes, as embedded mode. */
export function createHttpClient(options: HttpClientOptions): LockboxApi {
  const base = options.url.replace(/\/+$/, "");

  async function call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = `${base}/v1${path}${queryString(query)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new InternalError(`Cannot reach the Lockbox server at ${base}: ${reason}`);
    }
    const payload = (await response.json().catch(() => undefined)) as
      | { error?: { code: string; message: string } }
      | undefined;
    if (!response.ok) {
      const error = payload?.error;
      throw error
        ? errorFromCode(error.code, error.message)
        : new InternalError(`The Lockbox server answered ${response.status} without an error body`);
    }
    return payload as T;
  }

  const secretPath = (ref: SecretRef, suffix = "") =>
    `/environments/${encodeURIComponent(ref.environment)}/secrets/${encodeURIComponent(ref.name)}${suffix}`;
  const environmentPath = (environment: string) => `/environments/${encodeURIComponent(environment)}`;

  return {
    secrets: {
      create: ({ environment, ...body }) => call("POST", `${environmentPath(environment)}/secrets`, body),
      get: ({ requiredKeys, ...ref }) => call("GET", secretPath(ref), undefined, { requiredKeys }),
      list: async ({ environment, ...query }) =>
        (await call<{ secrets: never }>("GET", `${environmentPath(environment)}/secrets`, undefined, query))
          .secrets,
      reveal: ({ version, ...ref }) => call("GET", secretPath(ref, "/values"), undefined, { version }),
      export: async ({ format, ...ref }) =>
        (await call<{ content: string }>("GET", secretPath(ref, "/export"), undefined, { format })).content,
      update: ({ environment, name, ...body }) => call("PATCH", secretPath({ environment, name }), body),
      delete: ({ allowMissing, ...ref }) => call("DELETE", secretPath(ref), undefined, { allowMissing }),
      history: async (ref) => (await call<{ versions: never }>("GET", secretPath(ref, "/history"))).versions,
      rollback: ({ version, ...ref }) => call("POST", secretPath(ref, "/rollback"), { version }),
      resolve: async ({ environment, ...body }) =>
        (await call<{ secrets: never }>("POST", `${environmentPath(environment)}/resolve`, body)).secrets,
    },
    apps: {
      deploy: ({ environment, name, ...body }) =>
        call("POST", `${environmentPath(environment)}/apps/${encodeURIComponent(name)}/deployments`, body),
      get: ({ environment, name }) =>
        call("GET", `${environmentPath(environment)}/apps/${encodeURIComponent(name)}`),
      list: async ({ environment }) =>
        (await call<{ apps: never }>("GET", `${environmentPath(environment)}/apps`)).apps,
    },
    environments: {
      list: async () => (await call<{ environments: never }>("GET", "/environments")).environments,
      create: (name) => call("POST", "/environments", { name }),
      delete: async (name) => {
        await call("DELETE", environmentPath(name));
      },
    },
    workspaces: {
      list: async () => (await call<{ workspaces: never }>("GET", "/workspaces")).workspaces,
      create: (name) => call("POST", "/workspaces", { name }),
    },
    tokens: {
      create: (input) => call("POST", "/tokens", input),
      list: async () => (await call<{ tokens: never }>("GET", "/tokens")).tokens,
      revoke: async (id) => {
        await call("DELETE", `/tokens/${encodeURIComponent(id)}`);
      },
    },
    audit: {
      list: async (query = {}) => (await call<{ entries: never }>("GET", "/audit", undefined, query)).entries,
      verify: () => call("GET", "/audit/verify"),
    },
  };
}
