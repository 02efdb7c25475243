import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { markedValue, prototypeKeys, validKey, validValue } from "../test-support/arbitraries.js";
import { InvalidError } from "./errors.js";
import {
  appNameProblem,
  assertValues,
  environmentNameProblem,
  keyProblem,
  secretNameProblem,
  valueProblem,
  valuesProblem,
  workspaceNameProblem,
} from "./rules.js";
import { schemas } from "./schemas.js";

// DESIGN.md §5, written out again here so that the rules are checked against the document,
// not against themselves.
const design = {
  secretName: (name: string) => /^[a-zA-Z0-9._-]+$/.test(name) && name.length <= 64,
  environmentName: (name: string) => /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name) && name.length <= 64,
  key: (key: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && key.length <= 16_384,
  value: (value: unknown) => typeof value === "string" && !value.includes("\0") && value.length <= 32_768,
};

const runs = { numRuns: 300 };

/** Strings near and far from every rule: valid ones, one character off, unicode, NUL, too long. */
function candidates(valid: fc.Arbitrary<string>, maxLength: number): fc.Arbitrary<string> {
  const anyChar = fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    fc.constantFrom("\0", "-", ".", "_", "0", " ", "/", "\n", "é", "\u212a", "\u0130", "😀", "\ud800"),
  );
  return fc.oneof(
    valid,
    // One character inserted into a valid string, wherever it lands.
    fc
      .tuple(valid, anyChar, fc.nat())
      .map(
        ([text, char, at]) =>
          text.slice(0, at % (text.length + 1)) + char + text.slice(at % (text.length + 1)),
      ),
    fc.string({ unit: "binary", maxLength: maxLength + 2 }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.constantFrom("", "\0", " ", "a\n", "\na", "A\0B"),
    // Around the length limit, and far past it.
    fc
      .tuple(
        fc.constantFrom("a", "A", "0", "_", "-", "é"),
        fc.integer({ min: maxLength - 2, max: maxLength + 2 }),
      )
      .map(([char, length]) => char.repeat(length)),
    fc.integer({ min: maxLength * 2, max: maxLength * 40 }).map((length) => "a".repeat(length)),
  );
}

const nameRules = [
  [
    "secret",
    secretNameProblem,
    schemas.secretName,
    design.secretName,
    fc.stringMatching(/^[a-zA-Z0-9._-]{1,64}$/),
  ],
  ["app", appNameProblem, schemas.appName, design.secretName, fc.stringMatching(/^[a-zA-Z0-9._-]{1,64}$/)],
  [
    "environment",
    environmentNameProblem,
    schemas.environmentName,
    design.environmentName,
    fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/),
  ],
  [
    "workspace",
    workspaceNameProblem,
    schemas.workspaceName,
    design.environmentName,
    fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/),
  ],
] as const;

describe.each(nameRules)("%s names", (_kind, problem, schema, allowed, valid) => {
  it("are accepted by the rule and the zod schema exactly when DESIGN.md §5 allows them", () => {
    fc.assert(
      fc.property(candidates(valid, 64), (name) => {
        const expected = allowed(name);
        expect(problem(name) === undefined).toBe(expected);
        const parsed = schema.safeParse(name);
        expect(parsed.success).toBe(expected);
        if (parsed.success) expect(parsed.data).toBe(name);
        else expect(parsed.error.issues.map((issue) => issue.message)).toEqual([problem(name)]);
      }),
      runs,
    );
  });

  it("are rejected by both when they are not strings", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((value) => typeof value !== "string"),
        (value) => {
          expect(problem(value)).toMatch(/name must be a string$/);
          expect(schema.safeParse(value).success).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("show at most 80 characters of a rejected name, with control characters escaped", () => {
    fc.assert(
      fc.property(candidates(valid, 64), (name) => {
        const message = problem(name);
        if (message === undefined) return;
        expect(message.length).toBeLessThan(300);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
        expect(message).not.toMatch(/[\u0000-\u001f]/);
      }),
      runs,
    );
  });
});

describe("keys", () => {
  it("are accepted by the rule and the zod schema exactly when DESIGN.md §5 allows them", () => {
    fc.assert(
      fc.property(candidates(validKey, 16_384), (key) => {
        const expected = design.key(key);
        expect(keyProblem(key) === undefined).toBe(expected);
        const parsed = schemas.key.safeParse(key);
        expect(parsed.success).toBe(expected);
        if (parsed.success) expect(parsed.data).toBe(key);
      }),
      runs,
    );
  });

  it("are rejected by the zod schema when they are not strings", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((value) => typeof value !== "string"),
        (value) => {
          expect(schemas.key.safeParse(value).success).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("values", () => {
  const marker = "MARKED-VALUE-5d1c";
  const badValue = fc.oneof(
    // A NUL somewhere.
    fc
      .tuple(markedValue(marker), fc.string({ unit: "binary", maxLength: 10 }))
      .map(([value, tail]) => `${value}\0${tail}`),
    // Too long, by a little or by a lot.
    fc
      .tuple(markedValue(marker), fc.integer({ min: 32_769, max: 200_000 }))
      .map(([value, length]) => value.repeat(Math.ceil(length / value.length)).slice(0, length)),
    // Not a string, though it holds one.
    markedValue(marker).map((value) => ({ nested: value })),
    markedValue(marker).map((value) => [value]),
    fc.integer({ min: 100_000_000 }).map((value) => value),
    fc.constantFrom(null, true, false),
  );

  it("are accepted by the rule exactly when DESIGN.md §5 allows them", () => {
    fc.assert(
      fc.property(validKey, fc.oneof(validValue, badValue, fc.anything()), (key, value) => {
        expect(valueProblem(key, value) === undefined).toBe(design.value(value));
      }),
      runs,
    );
  });

  it("are refused with a message that never shows them, by the rule, assertValues and the zod schema", () => {
    fc.assert(
      fc.property(validKey, badValue, (key, value) => {
        const shown = typeof value === "number" ? String(value) : marker;
        const values = Object.fromEntries([[key, value]]);
        const problem = valuesProblem(values);
        expect(problem).toBeDefined();
        expect(problem).not.toContain(shown);

        let thrown: unknown;
        try {
          assertValues(values);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(InvalidError);
        expect((thrown as Error).message).toBe(problem);
        expect(String((thrown as Error).stack)).not.toContain(shown);

        const parsed = schemas.values.safeParse(values);
        expect(parsed.success).toBe(false);
        expect(JSON.stringify(parsed.error?.issues)).not.toContain(shown);
        expect(parsed.error?.message).not.toContain(shown);
      }),
      runs,
    );
  });
});

describe("key/value records", () => {
  const entry = fc.tuple(
    fc.oneof(validKey, candidates(validKey, 40)),
    fc.oneof({ weight: 4, arbitrary: validValue }, { weight: 1, arbitrary: fc.anything() }),
  );
  const records = fc
    .uniqueArray(entry, { selector: ([key]) => key, maxLength: 6 })
    .map((entries) => Object.fromEntries(entries) as Record<string, unknown>);

  it("are accepted by the rule and the zod schema exactly when every key and value is allowed", () => {
    fc.assert(
      fc.property(records, (values) => {
        const expected = Object.entries(values).every(
          ([key, value]) => design.key(key) && design.value(value),
        );
        expect(valuesProblem(values) === undefined).toBe(expected);
        expect(schemas.values.safeParse(values).success).toBe(expected);
      }),
      runs,
    );
  });

  it("come out of the zod schema with exactly the keys and values that went in", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.tuple(validKey, validValue), { selector: ([key]) => key, maxLength: 6 })
          .map((entries) => Object.fromEntries(entries) as Record<string, string>),
        (values) => {
          const parsed = schemas.values.parse(values);
          expect(Object.keys(parsed).sort()).toEqual(Object.keys(values).sort());
          for (const key of Object.keys(values)) {
            expect(Object.getOwnPropertyDescriptor(parsed, key)?.value).toBe(values[key]);
          }
          expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
        },
      ),
      runs,
    );
  });

  it.each(prototypeKeys)("keep a key named %s through the zod schema", (key) => {
    const values = JSON.parse(`{${JSON.stringify(key)}: "v", "A": "a"}`) as Record<string, string>;
    const parsed = schemas.values.parse(values);
    expect(Object.keys(parsed).sort()).toEqual(["A", key].sort());
    expect(Object.getOwnPropertyDescriptor(parsed, key)?.value).toBe("v");
  });
});
