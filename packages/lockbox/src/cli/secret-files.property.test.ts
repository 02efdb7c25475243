import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidError } from "@lockbox/server/shared";
import {
  anyStringValue,
  expectSameValues,
  markedValue,
  validKey,
  validValue,
  validValues,
} from "@lockbox/server/test-support";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../test-support/run-cli.js";
import { parseKeyValues } from "./key-values.js";
import { readJsonFile } from "./secret-files.js";

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir("lockbox-json-property-");
});
afterAll(() => dir.remove());

let count = 0;
function readJson(text: string): Record<string, string> {
  const path = join(dir.path, `${++count}.json`);
  writeFileSync(path, text);
  return readJsonFile(path);
}

const marker = "MARKED-JSON-VALUE-8e2f";

describe("readJsonFile", () => {
  it("reads an object of valid keys and values exactly", () => {
    fc.assert(
      // JSON.stringify escapes lone surrogates, so the file holds them too.
      fc.property(validValues({ value: fc.oneof(validValue, anyStringValue) }), (values) => {
        expectSameValues(readJson(JSON.stringify(values)), values);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses any other JSON with InvalidError, never showing a value", () => {
    // Valid pairs with one bad one: a bad key, or a value that is no string, has a NUL or is too long.
    const badEntry = fc.oneof(
      fc.tuple(
        fc.string({ unit: "binary", maxLength: 12 }).filter((key) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)),
        markedValue(marker),
      ),
      fc.tuple(
        validKey,
        fc.oneof(
          markedValue(marker).map((value) => `${value}\0`),
          markedValue(marker).map((value) => value.repeat(Math.ceil(32_769 / value.length))),
          markedValue(marker).map((value) => ({ value })),
          markedValue(marker).map((value) => [value]),
          fc.constantFrom(null, true, 1234567891),
        ),
      ),
    );
    const badJson = fc.oneof(
      fc
        .tuple(validValues({ maxKeys: 3 }), badEntry)
        .map(([values, [key, value]]) => JSON.stringify({ ...values, [key]: value })),
      // Any JSON at all that is not an object: arrays, strings, numbers, null.
      fc
        .jsonValue()
        .filter((value) => typeof value !== "object" || value === null || Array.isArray(value))
        .map((value) => JSON.stringify(value)),
      // Not JSON: cut short, or with a marked value in a broken document.
      markedValue(marker).map((value) => `{"A": ${JSON.stringify(value)}`),
      markedValue(marker).map((value) => `{"A": '${value}'}`),
      fc.string({ unit: "binary", maxLength: 40 }).filter((text) => {
        try {
          JSON.parse(text);
          return false;
        } catch {
          return true;
        }
      }),
    );
    fc.assert(
      fc.property(badJson, (text) => {
        let thrown: unknown;
        try {
          readJson(text);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(InvalidError);
        const message = (thrown as Error).message;
        expect(message).not.toContain(marker);
        expect(message).not.toContain("1234567891");
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseKeyValues", () => {
  it("reads KEY=VALUE arguments as exactly those pairs, split on the first '='", async () => {
    const pairs = fc.uniqueArray(
      fc.tuple(
        validKey,
        validValue.filter((value) => value !== "-"),
      ),
      { selector: ([key]) => key, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(pairs, async (entries) => {
        const values = await parseKeyValues(entries.map(([key, value]) => `${key}=${value}`));
        expectSameValues(values, Object.fromEntries(entries) as Record<string, string>);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses an argument without '=' with a message that does not show it", async () => {
    await fc.assert(
      fc.asyncProperty(
        markedValue(marker).filter((text) => !text.includes("=")),
        async (argument) => {
          const error = await parseKeyValues([argument]).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(InvalidError);
          expect((error as Error).message).not.toContain(marker);
        },
      ),
      { numRuns: 100 },
    );
  });
});
