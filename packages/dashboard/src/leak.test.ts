import { randomBytes } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../lockbox/src/test-support/run-cli.js";
import { findIn, findOnDisk } from "../../server/src/test-support/at-rest.js";
import { launchPersistentChromium, signIn } from "./test-support/browser.js";
import { type DashboardServer, startDashboardServer } from "./test-support/dashboard-server.js";

// One random canary per run, in every value typed into the dashboard.
const canary = `CANARY${randomBytes(16).toString("hex")}`;
const created = `${canary}created`;
const edited = `${canary}edited`;
const name = "leak-dashboard";

const nothingFound = (where: string, found: string[]) =>
  expect(found, `${where} holds the canary (${found.join(", ")})`).toEqual([]);

describe("a canary value through the dashboard", { timeout: 90_000 }, () => {
  let server: DashboardServer;
  let profile: ReturnType<typeof tempDir>;
  let context: BrowserContext;
  let page: Page;
  /** `page.url()` after each step, and every address the page went to. */
  const visited: string[] = [];
  /** Every URL the browser requested: pages, scripts and API calls. */
  const requested: string[] = [];

  const field = (label: string) => page.getByLabel(label, { exact: true });
  const button = (label: string) => page.getByRole("button", { name: label, exact: true });
  const step = () => visited.push(page.url());

  beforeAll(async () => {
    profile = tempDir("lockbox-leak-chromium-");
    [server, context] = await Promise.all([
      startDashboardServer({ LOCKBOX_LOG_LEVEL: "trace" }),
      launchPersistentChromium(profile.path),
    ]);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (request) => requested.push(request.url()));
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url());
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    profile?.remove();
  });

  it("creates, reveals and edits a value, shown on the page only once revealed", async () => {
    await signIn(page, server.url, server.adminToken);
    step();
    await page.getByRole("link", { name: "New secret" }).click();
    step();
    await field("Name").fill(name);
    await field("Key 1").fill("TOKEN");
    await field("Value 1").fill(created);
    await button("Create secret").click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    step();
    nothingFound("the secret's page before a reveal", findIn(await page.content(), canary));

    await button("Reveal TOKEN").click();
    const shown = page.locator("li.key", { hasText: "TOKEN" }).locator(".key-value");
    await expect.poll(() => shown.textContent()).toBe(created); // the positive control
    step();

    await button("Edit keys").click();
    await field("New value of TOKEN").fill(edited);
    await button("Save").click();
    await expect.poll(() => page.locator("dl.details dd").nth(1).textContent()).toBe("2");
    step();
    const { body } = await server.api("GET", `/environments/main/secrets/${name}/values`);
    expect(body.values).toEqual({ TOKEN: edited });
  });

  it("refuses a taken name without echoing the value typed", async () => {
    await page.goto(`${server.url}/secrets/new`);
    await field("Name").fill(name);
    await field("Key 1").fill("TOKEN");
    await field("Value 1").fill(`${canary}taken`);
    await button("Create secret").click();
    const problem = page.locator("#name-error");
    await expect.poll(() => problem.textContent()).toContain("already exists");
    step();
    nothingFound("the error", findIn((await problem.textContent()) ?? "", canary));
  });

  it("keeps the value out of every URL, the storage and the cookies", async () => {
    // The steps were seen: the secret's page, and the reveal's request for its values.
    expect(visited.map((url) => new URL(url).pathname)).toContain(`/secrets/${name}`);
    expect(requested.some((url) => url.endsWith(`/secrets/${name}/values`))).toBe(true);
    nothingFound("a page URL", findIn(visited.join("\n"), canary));
    nothingFound("a requested URL", findIn(requested.join("\n"), canary));
    const storage = await page.evaluate<string>(
      "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])",
    );
    nothingFound("the page's storage", findIn(storage, canary));
    const cookies = JSON.stringify(await context.cookies());
    expect(cookies).toContain("lockbox_session");
    nothingFound("the cookies", findIn(cookies, canary));
  });

  it("keeps the value out of the audit log, which holds the reveal and the edit", async () => {
    const { status, body } = await server.api("GET", "/audit");
    expect(status).toBe(200);
    const entries = body.entries as { action: string; secret: string | null }[];
    const actions = entries.filter((entry) => entry.secret === name).map((entry) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(["secret.create", "secret.reveal", "secret.update"]));
    nothingFound("the audit log", findIn(JSON.stringify(body), canary));
  });

  it("leaves no value in the browser's profile, the data folder or the server log", async () => {
    nothingFound("the data folder", findOnDisk(server.dataDir, canary));
    await context.close(); // writes the profile's databases out
    // The profile recorded the visits (its history), so the scan reads what the browser wrote.
    expect(findOnDisk(profile.path, `/secrets/${name}`).length).toBeGreaterThan(0);
    nothingFound("the browser's profile", findOnDisk(profile.path, canary));
    await server.stop(); // flushes every log line
    const log = server.output();
    expect(log).toContain('"msg":"request completed"');
    // Lines name a request's route, never its URL, which names the secret.
    expect(log).toContain('"route":"/v1/environments/:environment/secrets/:name/values"');
    expect(log).not.toContain(`/secrets/${name}`);
    nothingFound("the server log", findIn(log, canary));
  });
});
