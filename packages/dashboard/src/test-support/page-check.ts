import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type axe from "axe-core";
import type { Page } from "playwright-core";

/** Where the screenshots go: a folder CI keeps (test-artifacts/ at the repository's root). */
const screenshotDir = fileURLToPath(new URL("../../../../test-artifacts/screenshots/", import.meta.url));

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const viewports = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

/** axe-core's serious and critical violations on the page, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const results = await page.evaluate<axe.AxeResults>("axe.run(document, { resultTypes: ['violations'] })");
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
    );
}

/** Scans the page with axe-core and screenshots it at 1280 and 390 px wide, then goes back to 1280. */
export async function checkPage(page: Page, name: string): Promise<string[]> {
  mkdirSync(screenshotDir, { recursive: true });
  const problems: string[] = [];
  for (const viewport of viewports) {
    await page.setViewportSize(viewport);
    problems.push(...(await seriousViolations(page)).map((line) => `${viewport.width}px ${line}`));
    await page.screenshot({ path: `${screenshotDir}${name}-${viewport.width}.png`, fullPage: true });
  }
  await page.setViewportSize(viewports[0] ?? { width: 1280, height: 800 });
  return problems;
}
