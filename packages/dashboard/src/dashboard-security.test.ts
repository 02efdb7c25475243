import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type PageWatch, signIn, watchPage } from "./test-support/browser.js";
import { type DashboardServer, startDashboardServer } from "./test-support/dashboard-server.js";
import { checkPage } from "./test-support/page-check.js";

const markupValue = "<img src=x onerror=alert(1)>";
const markupAgent = '<script>alert("ua")</script><img src=x onerror=alert(2)>';

describe("the dashboard's security", { timeout: 90_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;

  /** A fresh browser context (its own cookies) signed in with `token`. */
  async function signedIn(token: string): Promise<{ page: Page; watch: PageWatch }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await signIn(page, server.url, token);
    return { page, watch };
  }

  async function newToken(role: string): Promise<{ id: string; value: string }> {
    const { body } = await server.api("POST", "/tokens", { body: { role } });
    return { id: (body.token as { id: string }).id, value: body.value as string };
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDashboardServer(), launchChromium()]);
    await server.api("POST", "/environments/main/secrets", {
      body: { name: "markup", values: { HTML: markupValue, PLAIN: "plain-fixture-value" } },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.each([
    "viewer",
    "invoker",
  ])("shows a %s names and keys, but no value and no button that changes anything", async (role) => {
    const { page, watch } = await signedIn((await newToken(role)).value);
    expect(await page.getByRole("link", { name: "New secret" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    await page.getByRole("link", { name: "markup" }).click();
    await page.getByText(`Your ${role} role shows key names, not values.`).waitFor();
    expect(await page.locator("li.key .key-name").allTextContents()).toEqual(["HTML", "PLAIN"]);
    for (const name of [/Reveal/, /Copy the value/, /Edit keys/, /Delete secret/, /Roll back/]) {
      expect(await page.getByRole("button", { name }).count()).toBe(0);
    }
    expect(await page.content()).not.toContain("plain-fixture-value");
    expect(await checkPage(page, `secret-${role}`)).toEqual([]);
    expect(watch).toEqual({ dialogs: [], errors: [] });
  });

  it("renders a value holding markup as text", async () => {
    const { page, watch } = await signedIn(server.adminToken);
    await page.getByRole("link", { name: "markup" }).click();
    await page.getByRole("button", { name: "Reveal HTML", exact: true }).click();
    const shown = page.locator("li.key", { hasText: "HTML" }).locator(".key-value");
    await expect.poll(() => shown.textContent()).toBe(markupValue);
    expect(await page.locator("main img").count()).toBe(0);
    expect(watch).toEqual({ dialogs: [], errors: [] });
  });

  it("renders an audit entry whose user agent holds markup as text", async () => {
    const read = await server.api("GET", "/environments/main/secrets/markup/values", {
      headers: { "user-agent": markupAgent },
    });
    expect(read.status).toBe(200);
    const { page, watch } = await signedIn(server.adminToken);
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("cell", { name: markupAgent }).waitFor();
    expect(await page.locator("main img, main script").count()).toBe(0);
    expect(watch).toEqual({ dialogs: [], errors: [] });
  });

  it("refuses a change sent with the session cookie but without the CSRF token", async () => {
    const { page } = await signedIn(server.adminToken);
    const status = await page.evaluate<number>(
      `fetch("/v1/environments", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "csrf" }) }).then((response) => response.status)`,
    );
    expect(status).toBe(403);
    expect((await server.api("GET", "/environments")).body.environments).toHaveLength(1);
  });

  it("does not reveal a value for a page on another port of the same host, which the cookie goes with", async () => {
    const reads = async () =>
      ((await server.api("GET", "/audit?limit=1000")).body.entries as { action: string }[]).filter((entry) =>
        ["secret.reveal", "secret.export"].includes(entry.action),
      ).length;
    const before = await reads();
    const secretUrl = `${server.url}/v1/environments/main/secrets/markup`;
    const readUrls = [`${secretUrl}/values`, `${secretUrl}/export`];
    // Same host, another port: the same site, so a SameSite=Strict cookie is sent with its requests.
    const other = createServer((_request, answer) => {
      answer.setHeader("content-type", "text/html");
      answer.end(
        `<script>for (const url of ${JSON.stringify(readUrls)}) fetch(url, { credentials: "include", mode: "no-cors" });</script>`,
      );
    });
    await new Promise<void>((listening) => other.listen(0, "127.0.0.1", listening));
    try {
      const { page } = await signedIn(server.adminToken);
      const answered: string[] = [];
      page.on("response", (response) => {
        if (readUrls.includes(response.url())) answered.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      await expect.poll(() => answered.length).toBe(2);
      // 403, not 401: the cookie went with both requests, and the server refused them.
      expect(answered.sort()).toEqual(readUrls.map((url) => `403 ${url}`).sort());
    } finally {
      other.closeAllConnections();
      await new Promise((closed) => other.close(closed));
    }
    expect(await reads()).toBe(before);
  });

  it("ends the session of a revoked token at its next request", async () => {
    const token = await newToken("developer");
    const { page } = await signedIn(token.value);
    // The list's own request must come before the revocation: the next one is the test.
    const secretLink = page.getByRole("link", { name: "markup" });
    await secretLink.waitFor();
    expect((await server.api("DELETE", `/tokens/${token.id}`)).status).toBe(200);
    await secretLink.click();
    await page.getByText("Your session has ended: sign in again.").waitFor();
    await page.getByLabel("Token").waitFor();
  });
});
