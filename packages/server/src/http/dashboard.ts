import { existsSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { isApiPath } from "./security-headers.js";

// The dashboard's build writes a copy into this package's dist/, and that copy is all an installed
// server has. In this repository (from `src/http` and `dist/http` alike) the dashboard's own output
// serves when only that one exists.
const shippedDir = fileURLToPath(new URL("../../dist/dashboard/", import.meta.url));
const workspaceDir = fileURLToPath(new URL("../../../dashboard/dist/", import.meta.url));

/** The built dashboard: `dist/dashboard` of this package, else `packages/dashboard/dist` of the repository. */
export const defaultDashboardDir =
  existsSync(join(shippedDir, "index.html")) || !existsSync(join(workspaceDir, "index.html"))
    ? shippedDir
    : workspaceDir;

const notBuilt = "The dashboard is not built: run npm run build\n";

// Paths the dashboard never answers, even with its index page: a typo there is the API's 404, and
// so is a scrape of `/metrics` sent here instead of to the metrics port.
function isReserved(path: string): boolean {
  return isApiPath(path) || path === "/openapi.json" || path === "/healthz" || path === "/metrics";
}

/** The file under `root` that a URL path names, if it is one; dotfiles and escapes name none. */
function fileIn(root: string, urlPath: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath).replace(/^\/+/, "");
  } catch {
    return undefined;
  }
  if (relative === "" || relative.split("/").some((segment) => segment.startsWith("."))) return undefined;
  const file = resolve(root, relative);
  if (!file.startsWith(root + sep)) return undefined;
  try {
    return statSync(file).isFile() ? `/${relative}` : undefined;
  } catch {
    return undefined;
  }
}

const yearMs = 365 * 24 * 60 * 60 * 1000;

// Hashed assets never change under their name; anything else is checked again on every load.
function sendDashboardFile(reply: FastifyReply, file: string) {
  if (file.startsWith("/assets/")) return reply.sendFile(file, { maxAge: yearMs, immutable: true });
  return reply.header("cache-control", "no-cache").sendFile(file, { cacheControl: false });
}

/**
 * The dashboard at `/`: its files (hashed `/assets/*` cached for a year), and its index page for
 * every other GET outside the API, so that a reload of `/secrets/abc` opens the app there.
 */
export const dashboardRoutes =
  (dir: string): FastifyPluginAsync =>
  async (app) => {
    const root = resolve(dir);
    await app.register(fastifyStatic, { root, serve: false, dotfiles: "ignore", suppressWarning: true });
    if (!existsSync(resolve(root, "index.html"))) {
      app.log.warn({ dashboardDir: root }, "The dashboard is not built: / answers 503 until it is");
    }

    app.get("/*", { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split("?")[0] ?? "/";
      if (isReserved(path)) return reply.callNotFound();
      if (!existsSync(resolve(root, "index.html"))) {
        return reply.code(503).type("text/plain; charset=utf-8").send(notBuilt);
      }
      const file = fileIn(root, path);
      if (file) return sendDashboardFile(reply, file);
      // A missing asset is a 404: the index page in its place would fail as a script.
      if (path.startsWith("/assets/")) return reply.callNotFound();
      return sendDashboardFile(reply, "/index.html");
    });
  };
