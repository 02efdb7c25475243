import { cpSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const outDir = fileURLToPath(new URL("dist/", import.meta.url));
const serverCopy = fileURLToPath(new URL("../server/dist/dashboard/", import.meta.url));

// `@lockbox/server` ships the built dashboard in its own dist/, so that a server installed from a
// packed `lockbox` serves it too (packages/server/src/http/dashboard.ts, scripts/pack.mjs).
const shipWithServer: Plugin = {
  name: "ship-with-server",
  apply: "build",
  closeBundle() {
    rmSync(serverCopy, { recursive: true, force: true });
    cpSync(outDir, serverCopy, { recursive: true });
  },
};

// The dashboard checks names, keys and values with the server's own rules, read from its source.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react(), shipWithServer],
  resolve: {
    alias: {
      "@lockbox/server/shared": fileURLToPath(new URL("../server/src/shared/index.ts", import.meta.url)),
    },
  },
  build: { outDir, emptyOutDir: true, assetsDir: "assets" },
});
