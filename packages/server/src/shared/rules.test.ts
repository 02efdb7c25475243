import { describe, expect, it } from "vitest";
import { InvalidError } from "./errors.js";
import {
  assertEnvironmentName,
  assertKeys,
  assertSecretName,
  assertValues,
  environmentNameProblem,
  keyProblem,
  limits,
  secretNameProblem,
  valueProblem,
  valuesProblem,
} from "./rules.js";
import { schemas } from "./schemas.js";

const canary = "CANARY-rules-7f3a9c2e51";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

describe("secretNameProblem", () => {
  it.each(["a", "my-secret", "MY_SECRET.v2", "0", "...", "-lead", "x".repeat(64)])("accepts %j", (name) => {
    expect(secretNameProblem(name)).toBeUndefined();
    expect(() => assertSecretName(name)).not.toThrow();
  });

  it.each([
    "has space",
    "slash/name",
    "semi;colon",
    "ünïcode",
    "tab\tname",
    "new\nline",
    "a:b",
  ])("rejects the invalid characters of %j", (name) => {
    expect(secretNameProblem(name)).toMatch(/^Invalid secret name '.*': use letters, digits/);
  });

  it("accepts exactly 64 characters and rejects 65", () => {
    expect(secretNameProblem("a".repeat(limits.nameMaxLength))).toBeUndefined();
    expect(secretNameProblem("a".repeat(limits.nameMaxLength + 1))).toMatch(/at most 64 characters/);
  });

  it("rejects an empty name and a non-string", () => {
    expect(secretNameProblem("")).toBe("Secret name cannot be empty");
    expect(secretNameProblem(42)).toBe("Secret name must be a string");
    expect(thrown(() => assertSecretName(""))).toBeInstanceOf(InvalidError);
  });

  it("escapes control characters in the message", () => {
    expect(secretNameProblem("bad\nname")).toContain("'bad\\nname'");
  });
});

describe("environmentNameProblem", () => {
  it.each(["main", "prod", "0day", "staging.eu-1", "A_b", "e".repeat(64)])("accepts %j", (name) => {
    expect(environmentNameProblem(name)).toBeUndefined();
    expect(() => assertEnvironmentName(name)).not.toThrow();
  });

  it.each(["-prod", ".hidden", "_x", "has space", "a/b"])("rejects %j", (name) => {
    expect(environmentNameProblem(name)).toMatch(
      /^Invalid environment name .*starting with a letter or digit/,
    );
  });

  it("rejects 65 characters and an empty name", () => {
    expect(environmentNameProblem("e".repeat(65))).toMatch(/at most 64 characters/);
    expect(environmentNameProblem("")).toBe("Environment name cannot be empty");
  });
});

describe("keyProblem", () => {
  it.each(["A", "_", "_private", "MY_KEY_2", "lower", "__proto__"])("accepts %j", (key) => {
    expect(keyProblem(key)).toBeUndefined();
  });

  it.each(["1ABC", "MY-KEY", "MY.KEY", "MY KEY", "KEY=", "ÄKEY"])("rejects %j", (key) => {
    expect(keyProblem(key)).toMatch(/^Invalid key '.*': keys contain only letters, digits and '_'/);
  });

  it("accepts a key of 16384 characters and rejects 16385", () => {
    expect(keyProblem("K".repeat(limits.keyMaxLength))).toBeUndefined();
    const problem = keyProblem("K".repeat(limits.keyMaxLength + 1));
    expect(problem).toMatch(/is too long \(16385 characters; at most 16384\)/);
    // The key is shortened in the message rather than echoed whole.
    expect(problem?.length).toBeLessThan(300);
  });

  it("rejects an empty key", () => {
    expect(keyProblem("")).toBe("Key cannot be empty");
    expect(thrown(() => assertKeys(["OK", ""]))).toBeInstanceOf(InvalidError);
  });
});

describe("valueProblem", () => {
  it("accepts an empty string and exactly 32768 characters", () => {
    expect(valueProblem("K", "")).toBeUndefined();
    expect(valueProblem("K", "v".repeat(limits.valueMaxLength))).toBeUndefined();
  });

  it.each([
    ["a number", 12345],
    ["a boolean", true],
    ["null", null],
    ["an object", { nested: canary }],
    ["an array", [canary]],
  ])("rejects %s with \"Non-string value for secret 'K'\"", (_label, value) => {
    expect(valueProblem("K", value)).toBe("Non-string value for secret 'K'");
  });

  it("rejects a value over 32768 characters without showing it", () => {
    const value = canary.repeat(Math.ceil((limits.valueMaxLength + 1) / canary.length));
    const problem = valueProblem("K", value);
    expect(problem).toMatch(/^Value of 'K' is too long \(\d+ characters; at most 32768\)$/);
    expect(problem).not.toContain(canary);
  });

  it("rejects a NUL character without showing the value", () => {
    const problem = valueProblem("K", `${canary}\0${canary}`);
    expect(problem).toBe("Value of 'K' contains a NUL character, which is not allowed");
  });
});

describe("assertValues", () => {
  it("accepts a valid record", () => {
    expect(() => assertValues({ A: canary, B_2: "" })).not.toThrow();
  });

  it.each([
    ["a non-string value", { K: 7 }],
    ["a value with NUL", { K: `${canary}\0` }],
    ["a value too long", { K: canary.repeat(3000) }],
    ["an object value", { K: { secret: canary } }],
  ])("throws InvalidError for %s, never naming the value", (_label, values) => {
    const error = thrown(() => assertValues(values as Record<string, unknown>));
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as InvalidError).code).toBe("invalid");
    expect((error as Error).message).toContain("'K'");
    expect((error as Error).message).not.toContain(canary);
    expect(JSON.stringify(error)).not.toContain(canary);
    expect(String((error as Error).stack)).not.toContain(canary);
  });

  it("reports the first bad key of several", () => {
    expect(valuesProblem({ GOOD: "x", "BAD-KEY": canary })).toMatch(/^Invalid key 'BAD-KEY'/);
  });
});

describe("schemas", () => {
  it("gives the same non-string message through zod, without the value", () => {
    const result = schemas.values.safeParse({ K: 987654321 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual(["Non-string value for secret 'K'"]);
    expect(JSON.stringify(result.error)).not.toContain("987654321");
  });

  it("rejects a NUL value through zod without the value", () => {
    const result = schemas.values.safeParse({ K: `${canary}\0` });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain(canary);
  });

  it("checks names through zod with the same rules", () => {
    expect(schemas.secretName.safeParse("x".repeat(64)).success).toBe(true);
    expect(schemas.secretName.safeParse("x".repeat(65)).success).toBe(false);
    expect(schemas.environmentName.safeParse("-prod").success).toBe(false);
    expect(schemas.key.safeParse("1BAD").success).toBe(false);
  });
});
