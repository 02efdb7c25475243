import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv-parse.js";

describe("parseDotenv", () => {
  it("reads KEY=VALUE lines, skipping blanks and comments", () => {
    const text = "# a comment\nA=1\n\n  B = two words  # trailing comment\nexport C=3\n";
    expect(parseDotenv(text)).toEqual({
      entries: [
        ["A", "1"],
        ["B", "two words"],
        ["C", "3"],
      ],
      badLines: [],
    });
  });

  it("unquotes values, expanding escapes only in double quotes", () => {
    const text = `D="a \\"b\\" # not a comment\\nline"\nS='raw \\n'\nT=\`x\`\nHASH=a#b`;
    expect(Object.fromEntries(parseDotenv(text).entries)).toEqual({
      D: 'a "b" # not a comment\nline',
      S: "raw \\n",
      T: "x",
      HASH: "a#b",
    });
  });

  it("reads a quoted value over several lines", () => {
    const text = 'KEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1';
    expect(Object.fromEntries(parseDotenv(text).entries)).toEqual({
      KEY: "-----BEGIN-----\nabc\n-----END-----",
      NEXT: "1",
    });
  });

  it("keeps the last value of a repeated key, in first-seen order", () => {
    expect(parseDotenv("A=1\nB=2\nA=3").entries).toEqual([
      ["A", "3"],
      ["B", "2"],
    ]);
  });

  it("names the lines that are not assignments, and unclosed quotes", () => {
    expect(parseDotenv("A=1\njust words\n=x\nB='open").badLines).toEqual([2, 3, 4]);
  });

  it("keeps keys the rules reject, so the form can say why", () => {
    expect(parseDotenv("1BAD=x\nMY-KEY=y").entries).toEqual([
      ["1BAD", "x"],
      ["MY-KEY", "y"],
    ]);
  });
});
