import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDeployedBundles } from "./deployed-bundles.js";

const root = mkdtempSync(join(tmpdir(), "lockbox-bundles-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function bundlesWritingHere() {
  const removed: string[] = [];
  let written = 0;
  const bundles = createDeployedBundles({
    async writeBundle(code) {
      const dir = mkdtempSync(join(root, "bundle-"));
      writeFileSync(join(dir, "app.mjs"), code);
      written++;
      return { dir, bundlePath: join(dir, "app.mjs") };
    },
    removeBundle: (dir) => removed.push(dir),
  });
  return { bundles, removed, written: () => written };
}

const fn = { name: "f", index: 0, secrets: [] };

describe("createDeployedBundles", () => {
  it("writes a code once, however many calls, and keeps it while anything holds it", async () => {
    const { bundles, removed, written } = bundlesWritingHere();
    const first = await bundles.get("export {}", fn);
    expect((await bundles.get("export {}", fn)).bundlePath).toBe(first.bundlePath);
    expect(written()).toBe(1);
    bundles.hold("export {}");
    bundles.hold("export {}");
    bundles.release("export {}");
    expect(removed).toEqual([]);
    expect((await bundles.get("export {}", fn)).bundlePath).toBe(first.bundlePath);
  });

  it("removes a folder once its last holder lets go, and writes a new one for the next call", async () => {
    const { bundles, removed, written } = bundlesWritingHere();
    const first = await bundles.get("export const a = 1;", fn);
    bundles.hold("export const a = 1;");
    bundles.release("export const a = 1;");
    await new Promise((resolve) => setImmediate(resolve));
    expect(removed).toEqual([join(first.bundlePath, "..")]);
    const again = await bundles.get("export const a = 1;", fn);
    expect(again.bundlePath).not.toBe(first.bundlePath);
    expect(written()).toBe(2);
  });
});
