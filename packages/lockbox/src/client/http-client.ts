import type { LockboxApi, SecretRef } from "@lockbox/server";
import { errorFromCode, InternalError, type LockboxError, RemoteError } from "@lockbox/server/shared";
import type { ServerAccess } from "./server-access.js";

type Query = Record<string, string | number | boolean | string[] | undefined>;

function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The API's error body; a function's own error adds its name and stack. */
interface ErrorBody {
  code: string;
  message: string;
  remoteName?: string;
  remoteStack?: string;
  retryAfterSeconds?: number;
}

/** `fetch`, with a failure to connect said as one clear line naming the server. */
export async function reach(base: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new InternalError(`Cannot reach the Lockbox server at ${base}: ${reason}`);
  }
}

/** The error class an error body names, rebuilt as the server threw it. */
export function errorFromBody(error: ErrorBody): LockboxError {
  return error.code === "remote_error"
    ? new RemoteError(error.message, error.remoteName, error.remoteStack)
    : errorFromCode(error.code, error.message, error.retryAfterSeconds);
}

/** The error a failed answer carries. */
export function answeredError(status: number, payload: unknown): LockboxError {
  const error = (payload as { error?: ErrorBody } | undefined)?.error;
  return error
    ? errorFromBody(error)
    : new InternalError(`The Lockbox server answered ${status} without an error body`);
}

/** The Lockbox API over HTTP: the same contract, and the same error classes, as embedded mode. */
export function createHttpClient(options: ServerAccess): LockboxApi {
  const base = options.url.replace(/\/+$/, "");

  async function call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const response = await reach(base, `${base}/v1${path}${queryString(query)}`, {
      method,
      headers: {
        authorization: `Bearer ${await options.bearer()}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const payload = (await response.json().catch(() => undefined)) as unknown;
    if (!response.ok) throw answeredError(response.status, payload);
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
      export: async ({ format, kubernetesName, ...ref }) =>
        (
          await call<{ content: string }>("GET", secretPath(ref, "/export"), undefined, {
            format,
            kubernetesName,
          })
        ).content,
      update: ({ environment, name, ...body }) => call("PATCH", secretPath({ environment, name }), body),
      delete: ({ allowMissing, ...ref }) => call("DELETE", secretPath(ref), undefined, { allowMissing }),
      history: async ({ limit, beforeVersion, ...ref }) =>
        (
          await call<{ versions: never }>("GET", secretPath(ref, "/history"), undefined, {
            limit,
            beforeVersion,
          })
        ).versions,
      rollback: ({ version, ...ref }) => call("POST", secretPath(ref, "/rollback"), { version }),
      resolve: async ({ environment, ...body }) =>
        (await call<{ secrets: never }>("POST", `${environmentPath(environment)}/resolve`, body)).secrets,
    },
    apps: {
      deploy: ({ environment, name, ...body }) =>
        call("POST", `${environmentPath(environment)}/apps/${encodeURIComponent(name)}/deployments`, body),
      get: ({ environment, name }) =>
        call("GET", `${environmentPath(environment)}/apps/${encodeURIComponent(name)}`),
      list: async ({ environment, ...query }) =>
        (await call<{ apps: never }>("GET", `${environmentPath(environment)}/apps`, undefined, query)).apps,
      head: ({ environment, name }) =>
        call("GET", `${environmentPath(environment)}/apps/${encodeURIComponent(name)}/head`),
    },
    environments: {
      list: async (query = {}) =>
        (await call<{ environments: never }>("GET", "/environments", undefined, query)).environments,
      create: (name) => call("POST", "/environments", { name }),
      delete: async (name) => {
        await call("DELETE", environmentPath(name));
      },
    },
    workspaces: {
      list: async (query = {}) =>
        (await call<{ workspaces: never }>("GET", "/workspaces", undefined, query)).workspaces,
      create: (name) => call("POST", "/workspaces", { name }),
    },
    tokens: {
      create: (input) => call("POST", "/tokens", input),
      list: async (query = {}) => (await call<{ tokens: never }>("GET", "/tokens", undefined, query)).tokens,
      revoke: async (id) => {
        await call("DELETE", `/tokens/${encodeURIComponent(id)}`);
      },
    },
    identities: {
      create: (input) => call("POST", "/identities", input),
      list: async (query = {}) =>
        (await call<{ identities: never }>("GET", "/identities", undefined, query)).identities,
      get: (name) => call("GET", `/identities/${encodeURIComponent(name)}`),
      delete: async (name) => {
        await call("DELETE", `/identities/${encodeURIComponent(name)}`);
      },
    },
    audit: {
      list: async (query = {}) => (await call<{ entries: never }>("GET", "/audit", undefined, query)).entries,
      verify: () => call("GET", "/audit/verify"),
    },
  };
}
