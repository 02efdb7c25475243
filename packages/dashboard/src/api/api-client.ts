import { errorFromCode, InternalError } from "@lockbox/server/shared";

export type Query = Record<string, string | number | undefined>;

export interface CallOptions {
  body?: unknown;
  query?: Query;
}

export type Call = <T>(method: string, path: string, options?: CallOptions) => Promise<T>;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return `/v1${path}${text ? `?${text}` : ""}`;
}

/**
 * Calls the API with the session cookie. Every request carries the session's CSRF token once it is
 * known: the server asks for it on changes and on reads of values alike; errors come back as the
 * same classes, with the same messages, as in the CLI.
 */
export function createApiClient(onUnauthenticated: () => void) {
  let csrfToken = "";

  const call: Call = async <T>(method: string, path: string, options: CallOptions = {}) => {
    const headers: Record<string, string> = {};
    if (csrfToken !== "") headers["x-csrf-token"] = csrfToken;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url(path, options.query), {
        method,
        headers,
        credentials: "same-origin",
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch {
      throw new InternalError("Cannot reach the Lockbox server: check your connection and try again");
    }
    const payload = (await response.json().catch(() => undefined)) as
      | { error?: { code: string; message: string } }
      | undefined;
    if (response.ok) return payload as T;
    const error = payload?.error
      ? errorFromCode(payload.error.code, payload.error.message)
      : new InternalError(`The server answered ${response.status}`);
    if (error.code === "unauthenticated" && !path.startsWith("/session")) onUnauthenticated();
    throw error;
  };

  return {
    call,
    setCsrfToken(token: string) {
      csrfToken = token;
    },
  };
}
