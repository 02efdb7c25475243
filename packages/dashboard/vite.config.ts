import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard checks names, keys and values with the server's own rules, read from its source.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  resolve: {
    alias: {
      "@lockbox/server/shared": fileURLToPath(new URL("../server/src/shared/index.ts", import.meta.url)),
    },
  },
  build: { outDir: "dist", emptyOutDir: true, assetsDir: "assets" },
});
