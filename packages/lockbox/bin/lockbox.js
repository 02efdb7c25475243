#!/usr/bin/env node
// npm links this file when it installs, before anything is built: the CLI itself is dist/, which
// `npm run build` makes, so a fresh clone gets a `lockbox` that says so instead of "not found".
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write(
    "lockbox is not built yet: run `npm run build` (or `npm start`) in the repository first\n",
  );
  process.exit(1);
}
