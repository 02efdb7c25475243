import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const assets = fileURLToPath(new URL("../dist/assets/", import.meta.url));

describe("the dashboard's build", () => {
  it("ships at most 150 KB of gzipped JavaScript", () => {
    const scripts = readdirSync(assets).filter((file) => file.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    const bytes = scripts.reduce(
      (sum, file) => sum + gzipSync(readFileSync(`${assets}${file}`)).byteLength,
      0,
    );
    expect(bytes).toBeLessThanOrEqual(150 * 1024);
  });
});
