import { describe, expect, it } from "vitest";
import { subjectMatches } from "./identity-rules.js";

describe("subjectMatches", () => {
  it.each([
    ["repo:acme/app:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/main", true],
    ["repo:acme/app:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/mainx", false],
    ["repo:acme/*:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/main", true],
    ["repo:acme/*:ref:refs/heads/main", "repo:acme/app:x:ref:refs/heads/main", false],
    ["repo:acme/*", "repo:acme/app:ref:refs/heads/main", false],
    ["system:serviceaccount:*:reader", "system:serviceaccount:prod:reader", true],
    ["system:serviceaccount:*:reader", "system:serviceaccount:reader", false],
    ["a.b:*", "axb:c", false],
  ])("%s against %s: %s", (pattern, subject, matches) => {
    expect(subjectMatches(pattern, subject)).toBe(matches);
  });
});
