import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { identityTokenVariable } from "../execution/function-identity.js";
import { type Setting, settings } from "./config-settings.js";

const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");

/** The README's table of settings: each row's variable and option (undefined for "—"). */
function documented(): Map<string, string | undefined> {
  const section = readme.slice(
    readme.indexOf("\n## Configuration\n"),
    readme.indexOf("\n### Behind a load balancer\n"),
  );
  const rows = [...section.matchAll(/^\| `(LOCKBOX_\w+)` \| (?:`(--[\w-]+)`|—) \|/gm)];
  return new Map(rows.map(([, variable, option]) => [variable as string, option]));
}

describe("the README's table of settings", () => {
  it("lists every declared variable, with its option, and nothing else", () => {
    const declared = new Map(
      (Object.values(settings) as Setting<unknown>[]).map((setting) => [
        setting.variable,
        setting.option?.split(" ")[0],
      ]),
    );
    expect(documented()).toEqual(declared);
  });

  it("names only declared variables anywhere (or the one Lockbox gives functions)", () => {
    const variables = new Set<string>([
      ...(Object.values(settings) as Setting<unknown>[]).map((setting) => setting.variable),
      identityTokenVariable,
    ]);
    const named = new Set(readme.match(/\bLOCKBOX_[A-Z_]+\b/g));
    expect([...named].filter((variable) => !variables.has(variable))).toEqual([]);
  });
});
