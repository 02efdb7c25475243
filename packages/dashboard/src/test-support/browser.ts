import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

// Debian's Chromium: Playwright's own browser download is unreachable here. Headless as root
// needs --no-sandbox; the rest keep it off the network it would call on its own. Playwright gives
// every launch a fresh temporary --user-data-dir of its own and removes it on close.
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
}

/** Chromium with its profile on disk in `userDataDir`, as a user's browser keeps one: cache, storage, history. */
export function launchPersistentChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 800 },
  });
}

/** What a page did that a test must see: dialogs (an XSS would open one), script errors, CSP violations. */
export interface PageWatch {
  dialogs: string[];
  errors: string[];
}

export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { dialogs: [], errors: [] };
  page.on("dialog", (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => watch.errors.push(error.message));
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) watch.errors.push(message.text());
  });
  return watch;
}

/** Opens the dashboard and signs in with `token`, waiting for the secrets list. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
}
