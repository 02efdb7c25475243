// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the .env syntax under test
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidError } from "@lockbox/server/shared";
import { afterEach, describe, expect, it } from "vitest";
import { formatExport } from "../../server/src/services/secret-export.js";
import { readDotenvFile } from "./dotenv-file.js";
import { tempDir } from "./test-support/run-cli.js";

let dir: ReturnType<typeof tempDir>;
afterEach(() => dir?.remove());

function dotenv(text: string): Record<string, string> {
  dir = tempDir("lockbox-dotenv-");
  const path = join(dir.path, ".env");
  writeFileSync(path, text);
  return readDotenvFile(path);
}

describe("readDotenvFile", () => {
  it("expands ${VAR} in unquoted and double-quoted values, from the file first, then the environment", () => {
    process.env.LOCKBOX_TEST_DOTENV_HOST = "db.internal";
    const values = dotenv(
      'USER=app\nURL="postgres://${USER}@${LOCKBOX_TEST_DOTENV_HOST}"\nPORT=${NOT_SET:-5432}\n',
    );
    delete process.env.LOCKBOX_TEST_DOTENV_HOST;
    expect(values).toEqual({ USER: "app", URL: "postgres://app@db.internal", PORT: "5432" });
  });

  it("keeps single-quoted and backticked values, and a bare $, as written", () => {
    const values = dotenv("A='pa$$word${HOME}x'\nB=`x${HOME}`\nC=cost $5\n");
    expect(values).toEqual({ A: "pa$$word${HOME}x", B: "x${HOME}", C: "cost $5" });
  });

  it("reads back exactly what `secret export --format dotenv` wrote", () => {
    const values = {
      DOLLARS: "pa$$word${HOME}",
      QUOTES: `it's "quoted"`,
      LINES: "line one\nline two $HOME",
      BOTH: "it's\n${HOME}",
      HASH: "a#b = c",
    };
    expect(
      dotenv(formatExport({ name: "round-trip", version: 1, sealed: Buffer.alloc(0), values }, "dotenv")),
    ).toEqual(values);
  });

  it("reads a variable of this environment's prototype names as unset", () => {
    expect(dotenv("A=${toString:-none}${constructor}\n")).toEqual({ A: "none" });
  });

  it("names the file and the line of a malformed .env, never its text", () => {
    const canary = "canary-dotenv-file-41f7";
    const error = (() => {
      try {
        dotenv(`OK=1\n${canary}\n`);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidError);
    expect(error).toHaveProperty(
      "message",
      `Could not parse .env file at ${join(dir.path, ".env")}: line 2 is not KEY=VALUE`,
    );
  });
});
