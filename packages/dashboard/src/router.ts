import { defaultEnvironment } from "@lockbox/server/shared";
import { useSyncExternalStore } from "react";

/** The pages of the dashboard, read from the address bar. */
export type Route =
  | { page: "secrets" }
  | { page: "create" }
  | { page: "secret"; name: string }
  | { page: "audit" }
  | { page: "not-found" };

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  return () => window.removeEventListener("popstate", onChange);
}

const currentUrl = () => window.location.pathname + window.location.search;

/** Goes to `href` (a path on this site) without reloading the page. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

function parseRoute(pathname: string): Route {
  if (pathname === "/") return { page: "secrets" };
  if (pathname === "/secrets/new") return { page: "create" };
  if (pathname === "/audit") return { page: "audit" };
  const secret = /^\/secrets\/([^/]+)$/.exec(pathname);
  if (secret?.[1]) {
    try {
      return { page: "secret", name: decodeURIComponent(secret[1]) };
    } catch {
      return { page: "not-found" };
    }
  }
  return { page: "not-found" };
}

/** The route and environment (`?env=`) of the address bar, updated on every navigation. */
export function useLocation(): { route: Route; environment: string } {
  const href = useSyncExternalStore(subscribe, currentUrl);
  const url = new URL(href, window.location.origin);
  return {
    route: parseRoute(url.pathname),
    environment: url.searchParams.get("env") || defaultEnvironment,
  };
}

/** A path in `environment`: `?env=` is left out for the default one. */
export function withEnvironment(path: string, environment: string): string {
  return environment === defaultEnvironment ? path : `${path}?env=${encodeURIComponent(environment)}`;
}

/** The page of one secret. */
export function secretHref(name: string, environment: string): string {
  return `/secrets/${encodeURIComponent(name)}?env=${encodeURIComponent(environment)}`;
}
