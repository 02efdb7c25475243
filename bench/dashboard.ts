// The dashboard: its gzipped JavaScript, and how long the secrets list takes to render 1,000
// secrets against 10 (the baseline), measured in the same browser in the same run.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { parseConfig } from "@lockbox/server/config";
import { startServer } from "@lockbox/server/http";
import { chromium, type Page } from "playwright-core";
import { median, round } from "./stats.js";

const assets = fileURLToPath(new URL("../packages/dashboard/dist/assets/", import.meta.url));
const token = "lbx_bench_dashboard_bootstrap_token";

function gzippedScriptBytes() {
  const scripts = readdirSync(assets).filter((file) => file.endsWith(".js"));
  return scripts.reduce((sum, file) => sum + gzipSync(readFileSync(join(assets, file))).byteLength, 0);
}

/** Creates `count` secrets of 10 keys in environment `environment`, over the API. */
async function fill(url: string, environment: string, count: number): Promise<void> {
  const call = (method: string, path: string, body: unknown) =>
    fetch(`${url}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then((response) => {
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    });
  await call("POST", "/environments", { name: environment });
  const values = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`KEY_${i}`, `value-${i}`]));
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, (_, j) =>
      call("POST", `/environments/${environment}/secrets`, { name: `secret-${i + j}`, values }),
    );
    await Promise.all(batch);
  }
}

/** Milliseconds from navigation to the list showing all `count` rows. */
async function renderMs(page: Page, url: string, environment: string, count: number): Promise<number> {
  const started = Date.now();
  await page.goto(`${url}/?env=${environment}`);
  // The last row there: each environment holds exactly `count` secrets.
  await page
    .locator("table.table tbody tr")
    .nth(count - 1)
    .waitFor({ timeout: 30_000 });
  return Date.now() - started;
}

export async function dashboardBenchmarks({ quick }: { quick: boolean }) {
  const dataDir = mkdtempSync(join(tmpdir(), "lockbox-bench-dashboard-"));
  const server = await startServer(
    parseConfig("server", {
      options: { host: "127.0.0.1", port: 0, dataDir, bootstrapToken: token, logLevel: "warn" },
    }),
  );
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
  });
  try {
    await fill(server.url, "small", 10);
    await fill(server.url, "large", 1000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
    const runs = quick ? 3 : 7;
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < runs; i++) {
      small.push(await renderMs(page, server.url, "small", 10));
      large.push(await renderMs(page, server.url, "large", 1000));
    }
    return {
      jsGzipBytes: gzippedScriptBytes(),
      list1000P50Ms: round(median(large)),
      list10P50Ms: round(median(small)),
      ratio: round(median(large) / median(small)),
    };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
