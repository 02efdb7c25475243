import { expect } from "vitest";

/**
 * Asserts that `actual` holds exactly the keys and values of `expected` as own data properties:
 * a `__proto__` key must come back as a key, not as a prototype, and none may go missing.
 */
export function expectSameValues(actual: Record<string, string>, expected: Record<string, string>): void {
  expect(Object.getPrototypeOf(actual)).toBe(Object.prototype);
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) {
    expect(Object.getOwnPropertyDescriptor(actual, key)?.value).toBe(expected[key]);
  }
}
