import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { keyProblem, secretNameProblem } from "@lockbox/server/shared";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../../lockbox/src/test-support/run-cli.js";
import { userProject } from "../../lockbox/src/test-support/user-module.js";
import { launchChromium, type PageWatch, signIn, watchPage } from "./test-support/browser.js";
import { type DashboardServer, startDashboardServer } from "./test-support/dashboard-server.js";
import { checkPage } from "./test-support/page-check.js";

const awsValues = {
  AWS_ACCESS_KEY_ID: "AKIAFIXTURE000000001",
  AWS_SECRET_ACCESS_KEY: "fixture-aws-secret-access-key",
  AWS_REGION: "eu-west-3",
};

describe("the dashboard against a lockbox server", { timeout: 90_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  const values = async (name: string, environment = "main") =>
    (await server.api("GET", `/environments/${environment}/secrets/${name}/values`)).body.values;
  const shownVersion = () => page.locator("dl.details dd").nth(1).textContent();
  const field = (label: string) => page.getByLabel(label, { exact: true });
  const button = (name: string) => page.getByRole("button", { name, exact: true });
  const errorOf = async (label: string) =>
    page.locator(`#${await field(label).getAttribute("aria-describedby")}`).textContent();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDashboardServer(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    page = await context.newPage();
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in with a token kept out of the URL and storage, and stays signed in on reload", async () => {
    await page.goto(server.url);
    await page.getByRole("heading", { name: "Sign in to Lockbox" }).waitFor();
    expect(await checkPage(page, "sign-in")).toEqual([]);
    await field("Token").fill("lbx_not_a_real_token_000000000");
    await button("Sign in").click();
    await page.getByRole("alert").waitFor();

    await signIn(page, server.url, server.adminToken);
    await page.getByRole("heading", { name: "No secrets in main yet" }).waitFor();
    expect(await checkPage(page, "secrets-empty")).toEqual([]);
    const stored = await page.evaluate<string>(
      "JSON.stringify([location.href, Object.entries(localStorage), Object.entries(sessionStorage)])",
    );
    expect(stored).not.toContain(server.adminToken);
    const cookie = (await context.cookies()).find((each) => each.name === "lockbox_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
    expect(await page.locator(".workspace").textContent()).toBe("Workspace default");
  });

  it("creates a secret from the AWS template, with the shared rules' errors next to each field", async () => {
    await page.getByRole("link", { name: "New secret" }).click();
    await page.getByRole("radio", { name: "AWS" }).check();
    expect(await Promise.all([1, 2, 3].map((n) => field(`Key ${n}`).inputValue()))).toEqual(
      Object.keys(awsValues),
    );
    await field("Name").fill("aws prod!");
    expect(await errorOf("Name")).toBe(secretNameProblem("aws prod!"));
    await button("Add key").click();
    await field("Key 4").fill("1BAD");
    expect(await errorOf("Key 4")).toBe(keyProblem("1BAD"));
    expect(await checkPage(page, "create")).toEqual([]);

    await button("Remove key 4").click();
    await field("Name").fill("aws-prod");
    for (const [index, value] of Object.values(awsValues).entries())
      await field(`Value ${index + 1}`).fill(value);
    await button("Create secret").click();
    await page.getByRole("heading", { level: 1, name: "aws-prod" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/secrets/aws-prod");
    expect(await values("aws-prod")).toEqual(awsValues);
  });

  it("creates a secret from a pasted .env", async () => {
    await page.goto(`${server.url}/secrets/new`);
    await page.getByText("Paste a .env file").click();
    await field(".env text").fill(
      '# database\nexport DB_URL="postgres://app@db/prod"\nDB_POOL=5 # connections\n',
    );
    await button("Fill in keys").click();
    expect(await field("Key 1").inputValue()).toBe("DB_URL");
    expect(await field("Value 2").inputValue()).toBe("5");
    await field("Name").fill("from-dotenv");
    await button("Create secret").click();
    await page.getByRole("heading", { level: 1, name: "from-dotenv" }).waitFor();
    expect(await values("from-dotenv")).toEqual({ DB_URL: "postgres://app@db/prod", DB_POOL: "5" });
  });

  it("refuses a malformed pasted .env inline, and reads the issue's lines as the CLI does", async () => {
    await page.goto(`${server.url}/secrets/new`);
    await page.getByText("Paste a .env file").click();
    const canary = "canary-paste-3b7e";
    for (const [text, problem] of [
      [`A=1\n${canary}\n`, "line 2 is not KEY=VALUE"],
      [`A=1\nB=2\nexport A='${canary}'\n`, "'A' is assigned twice, on lines 1 and 3"],
      [`A=1\nP=${canary}#2\n`, "line 2: the value of 'P' has a '#' right after text"],
    ] as const) {
      await field(".env text").fill(text);
      await button("Fill in keys").click();
      expect(await errorOf(".env text")).toMatch(`Could not read the .env text: ${problem}`);
      expect(await field("Key 1").inputValue()).toBe("");
      expect(await field(".env text").inputValue()).toBe(text);
      expect(await errorOf(".env text")).not.toContain(canary);
    }

    // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv's own ${VAR} syntax
    const issue = 'A="a\\tb"\nB="q\\"x"\nC=c\nD=${C}z\nE=${LOCKBOX_TEST_UNSET:-none}\n';
    await field(".env text").fill(issue);
    await button("Fill in keys").click();
    expect(await errorOf(".env text")).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the variable named as the user wrote it
      "Filled in; not assigned earlier in the text, so read as unset: ${LOCKBOX_TEST_UNSET}",
    );
    await field("Name").fill("pasted-issue");
    await button("Create secret").click();
    await page.getByRole("heading", { level: 1, name: "pasted-issue" }).waitFor();

    const folder = tempDir("lockbox-paste-");
    try {
      const path = join(folder.path, ".env");
      writeFileSync(path, issue);
      const cli = await runCli(["secret", "create", "cli-issue", "--from-dotenv", path], {
        env: { LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: server.adminToken },
      });
      expect(cli.code).toBe(0);
    } finally {
      folder.remove();
    }
    const expected = { A: "a\\tb", B: 'q\\"x', C: "c", D: "cz", E: "none" };
    expect(await values("pasted-issue")).toEqual(expected);
    expect(await values("cli-issue")).toEqual(expected);
  });

  it("reveals one value, an audited read, and copies another", async () => {
    const reveals = async () => {
      const { entries } = (await server.api("GET", "/audit")).body as { entries: { action: string }[] };
      return entries.filter((entry) => entry.action === "secret.reveal").length;
    };
    const revealsBefore = await reveals();
    await page.goto(`${server.url}/secrets/aws-prod`);
    await button("Reveal AWS_REGION").click();
    const region = page.locator("li.key", { hasText: "AWS_REGION" }).locator(".key-value");
    await expect.poll(() => region.textContent()).toBe("eu-west-3");
    expect(await page.content()).not.toContain(awsValues.AWS_SECRET_ACCESS_KEY);
    expect(await checkPage(page, "secret")).toEqual([]);

    await button("Copy the value of AWS_SECRET_ACCESS_KEY").click();
    await page.getByText("Copied").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(awsValues.AWS_SECRET_ACCESS_KEY);
    expect(await reveals()).toBe(revealsBefore + 2);
  });

  it("edits keys and saves them as a new version", async () => {
    await button("Edit keys").click();
    await field("New value of AWS_REGION").fill("eu-central-1");
    await button("Add key").click();
    await field("Key 4").fill("AWS_SESSION_TOKEN");
    await field("Value 4").fill("fixture-session-token");
    await button("Save").click();
    await expect.poll(shownVersion).toBe("2");
    expect(await values("aws-prod")).toEqual({
      ...awsValues,
      AWS_REGION: "eu-central-1",
      AWS_SESSION_TOKEN: "fixture-session-token",
    });
  });

  it("refuses a stale save and says who saved first", async () => {
    await button("Edit keys").click();
    await field("New value of AWS_REGION").fill("from-the-stale-page");
    const elsewhere = await server.api("PATCH", "/environments/main/secrets/aws-prod", {
      body: { set: { AWS_REGION: "us-east-2" }, ifVersion: 2 },
    });
    expect(elsewhere.status).toBe(200);
    await button("Save").click();
    await page.getByText("Someone else saved version 3 first: reload to see their changes").waitFor();
    expect(((await values("aws-prod")) as Record<string, string>).AWS_REGION).toBe("us-east-2");
    await button("Reload").click();
    await expect.poll(shownVersion).toBe("3");
  });

  it("shows each version's key changes and rolls back", async () => {
    const second = page.locator("li.version", { hasText: "Version 2" });
    expect(await second.textContent()).toContain("Added AWS_SESSION_TOKEN");
    expect(await second.textContent()).toContain("Changed AWS_REGION");
    await button("Roll back to version 1").click();
    await expect.poll(shownVersion).toBe("4");
    expect(await page.locator("li.version", { hasText: "Version 4" }).textContent()).toContain(
      "rolled back to version 1",
    );
    expect(await values("aws-prod")).toEqual(awsValues);
  });

  it("deletes a secret only once its name is typed", async () => {
    await page.goto(`${server.url}/secrets/from-dotenv`);
    const remove = button("Delete secret");
    await field("Type from-dotenv to confirm").fill("from-dotenv-typo");
    expect(await remove.isDisabled()).toBe(true);
    await field("Type from-dotenv to confirm").fill("from-dotenv");
    await remove.click();
    await page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
    expect(await page.getByRole("link", { name: "from-dotenv" }).count()).toBe(0);
    expect((await server.api("GET", "/environments/main/secrets/from-dotenv")).status).toBe(404);
  });

  it("switches environment from the header, and searches by name", async () => {
    await server.api("POST", "/environments", { body: { name: "staging" } });
    await server.api("POST", "/environments/staging/secrets", {
      body: { name: "staging-db", values: { DB_URL: "staging-url" } },
    });
    await page.reload();
    await page.getByLabel("Environment").selectOption("staging");
    await page.getByRole("link", { name: "staging-db" }).waitFor();
    expect(new URL(page.url()).search).toBe("?env=staging");
    expect(await page.getByRole("link", { name: "aws-prod" }).count()).toBe(0);
    await field("Search by name").fill("zzz");
    await page.getByText("0 of 1 secrets match “zzz”").waitFor();
    await field("Search by name").fill("");

    await page.getByRole("link", { name: "staging-db" }).click();
    await page.getByText('Secret.fromName("staging-db", { environment: "staging" })').waitFor();
    await page.getByLabel("Environment").selectOption("main");
    await page.getByRole("link", { name: "aws-prod" }).waitFor();
    expect(await checkPage(page, "secrets")).toEqual([]);
  });

  it("shows the audit log to an admin, a call's target among it", async () => {
    const deployed = await server.api("POST", "/environments/main/apps/dash-app/deployments", {
      body: {
        bundle: '(globalThis[Symbol.for("lockbox.functions")] ??= []).push(() => 1);',
        functions: [{ name: "run", index: 0, secrets: [] }],
      },
    });
    expect(deployed.status).toBe(201);
    const called = await server.api("POST", "/environments/main/apps/dash-app/functions/run/call", {
      body: { args: [] },
    });
    expect(called.status).toBe(200);
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("cell", { name: "secret.rollback" }).waitFor();
    await page.getByRole("cell", { name: "environment main, function dash-app/run, version 1" }).waitFor();
    expect(await checkPage(page, "audit")).toEqual([]);
  });

  it("gives a function run with lockbox run the secret made in the dashboard", async () => {
    const project = userProject({
      "app.ts": `
import { App, Secret } from "lockbox";
const app = new App("dashboard-run");
export const region = app.function({ secrets: [Secret.fromName("aws-prod")] }, async () => {
  console.log(\`AWS_REGION=\${process.env.AWS_REGION}\`);
});
`,
    });
    try {
      const result = await runCli(["run", "--no-mask", "app.ts::region"], {
        env: { LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: server.adminToken },
        cwd: project.path,
        timeoutMs: 60_000,
      });
      expect(result).toEqual({ code: 0, stdout: "AWS_REGION=eu-west-3\n", stderr: "" });
    } finally {
      project.remove();
    }
    await page.getByRole("link", { name: "Secrets", exact: true }).click();
    const lastUsed = page
      .getByRole("row", { name: /aws-prod/ })
      .locator("td")
      .last();
    await expect.poll(() => lastUsed.textContent()).not.toBe("-");
  });

  it("signs out, and stays signed out after a reload", async () => {
    await button("Sign out").click();
    await page.getByRole("heading", { name: "Sign in to Lockbox" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in to Lockbox" }).waitFor();
    expect((await context.cookies()).filter((cookie) => cookie.name === "lockbox_session")).toEqual([]);
  });

  it("never opened a dialog, threw or broke the CSP", () => {
    expect(watch).toEqual({ dialogs: [], errors: [] });
  });
});
