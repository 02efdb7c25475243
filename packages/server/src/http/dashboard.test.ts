import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";
import { defaultDashboardDir } from "./dashboard.js";

const csp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const indexHtml = '<!doctype html><title>Lockbox</title><div id="root"></div>';
const script = "console.log('dashboard');";

let dashboardDir: string;
let server: TestServer;

beforeAll(async () => {
  dashboardDir = makeTempDir("lockbox-dashboard-");
  mkdirSync(join(dashboardDir, "assets"));
  writeFileSync(join(dashboardDir, "index.html"), indexHtml);
  writeFileSync(join(dashboardDir, "assets", "index-3f9a1c.js"), script);
  writeFileSync(join(dashboardDir, "favicon.svg"), "<svg/>");
  writeFileSync(join(dashboardDir, ".env"), "HIDDEN=1");
  server = await startTestServer({ dashboardDir });
});
afterAll(async () => {
  await server.dispose();
  removeTempDir(dashboardDir);
});

const get = (path: string) => server.call("GET", path, { token: null });

function expectSecurityHeaders(headers: Headers) {
  expect(headers.get("content-security-policy")).toBe(csp);
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe("no-referrer");
  expect(headers.get("x-frame-options")).toBe("DENY");
}

describe("security headers", () => {
  it.each([
    ["the dashboard", "/"],
    ["a dashboard route", "/secrets/abc"],
    ["an asset", "/assets/index-3f9a1c.js"],
    ["/healthz", "/healthz"],
    ["/openapi.json", "/openapi.json"],
    ["an API error", "/v1/environments/main/secrets"],
    ["an unknown API route", "/v1/nothing-here"],
    ["a malformed URL", "/%E0%A4%A"],
  ])("are on %s", async (_, path) => {
    expectSecurityHeaders((await get(path)).headers);
  });

  it("are on an API answer, with no-store", async () => {
    const answer = await server.call("GET", "/v1/environments/main/secrets");
    expect(answer.status).toBe(200);
    expectSecurityHeaders(answer.headers);
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });

  it("come with the API's error body for a URL that cannot be decoded", async () => {
    const answer = await get("/v1/%E0%A4%A");
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid");
  });

  it("mark API errors no-store too", async () => {
    const answer = await get("/v1/environments/main/secrets");
    expect(answer.status).toBe(401);
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });
});

describe("serving the dashboard", () => {
  it("serves index.html at / without long caching", async () => {
    const answer = await get("/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(indexHtml);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(answer.headers.get("cache-control")).toBe("no-cache");
  });

  it.each([
    "/secrets/abc",
    "/secrets/abc?environment=prod",
    "/audit",
    "/index.html",
  ])("falls back to index.html for %s", async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(indexHtml);
  });

  it("serves hashed assets with a long, immutable cache", async () => {
    const answer = await get("/assets/index-3f9a1c.js");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(script);
    expect(answer.headers.get("content-type")).toMatch(/javascript/);
    expect(answer.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("serves other files of the build", async () => {
    const answer = await get("/favicon.svg");
    expect(answer.text).toBe("<svg/>");
    expect(answer.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers 404 for a missing asset rather than the index page", async () => {
    const answer = await get("/assets/missing-000.js");
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain(indexHtml);
  });

  it("serves no dotfile and nothing outside its folder", async () => {
    for (const path of ["/.env", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd"]) {
      const answer = await get(path);
      expect(answer.text, path).not.toContain("HIDDEN");
      expect(answer.text, path).not.toContain("root:");
    }
  });

  it("keeps API paths for the API", async () => {
    const unknown = await get("/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
    expect((await get("/v1")).body.error.code).toBe("not_found");
    expect((await get("/healthz")).body).toEqual({ status: "ok" });
    expect((await get("/openapi.json")).body.openapi).toMatch(/^3\./);
    const post = await server.call("POST", "/secrets/abc", { token: null, body: {} });
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe("not_found");
  });
});

describe("a dashboard that is not built", () => {
  it("answers 503 in plain text until index.html appears, and the API keeps working", async () => {
    const emptyDir = makeTempDir("lockbox-dashboard-empty-");
    const missing = join(emptyDir, "not-there");
    const own = await startTestServer({ dashboardDir: missing });
    try {
      for (const path of ["/", "/secrets/abc"]) {
        const answer = await own.call("GET", path, { token: null });
        expect(answer.status).toBe(503);
        expect(answer.headers.get("content-type")).toBe("text/plain; charset=utf-8");
        expect(answer.text).toBe("The dashboard is not built: run npm run build\n");
        expectSecurityHeaders(answer.headers);
      }
      expect((await own.call("GET", "/v1/environments/main/secrets")).status).toBe(200);
      mkdirSync(missing);
      writeFileSync(join(missing, "index.html"), indexHtml);
      expect((await own.call("GET", "/", { token: null })).text).toBe(indexHtml);
    } finally {
      await own.dispose();
      removeTempDir(emptyDir);
    }
  });
});

describe("the default dashboard folder", () => {
  it("is the copy the server package ships in its dist/, the same files the dashboard's build wrote", () => {
    const shipped = fileURLToPath(new URL("../../dist/dashboard/", import.meta.url));
    const built = fileURLToPath(new URL("../../../dashboard/dist/", import.meta.url));
    expect(defaultDashboardDir).toBe(shipped);
    for (const file of readdirSync(built, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const path = join(file.parentPath, file.name).slice(built.length);
      expect(readFileSync(join(shipped, path)).equals(readFileSync(join(built, path))), path).toBe(true);
    }
  });
});
