import { InvalidError } from "@lockbox/server/shared";
import { describe, expect, it } from "vitest";
import { App } from "./app.js";
import type { AppDefinition } from "./definitions.js";
import { deployedFunctions } from "./deploy-functions.js";
import { appRegistry, functionDefinition } from "./global-slots.js";
import { Secret } from "./secret.js";

/** The app just made, and its handles' export names by index from `base`, as a deploy reads them. */
function definitionOf(handles: Record<string, unknown>) {
  const app = appRegistry().at(-1) as AppDefinition;
  const base = app.functions[0]?.index ?? 0;
  const names = new Map<number, string>();
  for (const [name, handle] of Object.entries(handles)) {
    const definition = functionDefinition(handle);
    if (definition) names.set(definition.index - base, name);
  }
  return { app, names, base };
}

describe("deployedFunctions", () => {
  it("records the app's secrets then the function's, in order, then env, timeout and sandbox shape", () => {
    const app = new App("layers", { secrets: [Secret.fromName("shared")] });
    const f = app.function(
      {
        secrets: [
          Secret.fromName("db", { environment: "prod", requiredKeys: ["DB_URL"] }),
          Secret.fromName("last"),
        ],
        env: { MODE: "x", DROPPED: null },
        timeoutMs: 1_000,
        network: "none",
        tmpMb: 8,
      },
      () => 0,
    );
    const g = app.function(() => 1);
    app.function(() => 2); // not exported: not deployed
    const { app: definition, names, base } = definitionOf({ f, g });
    expect(deployedFunctions(definition, names, base)).toEqual([
      {
        name: "f",
        index: 0,
        secrets: [
          { name: "shared" },
          { name: "db", environment: "prod", requiredKeys: ["DB_URL"] },
          { name: "last" },
        ],
        env: { MODE: "x" },
        timeoutMs: 1_000,
        network: "none",
        tmpMb: 8,
      },
      {
        name: "g",
        index: 1,
        secrets: [{ name: "shared" }],
        timeoutMs: 300_000,
        network: "outbound",
        tmpMb: 64,
      },
    ]);
  });

  it.each([
    ["Secret.fromDict", () => Secret.fromDict({ A: "fixture" }), "Secret.fromDict([A])"],
    ["Secret.fromObject", () => Secret.fromObject({ B: "fixture" }), "Secret.fromObject([B])"],
    ["Secret.fromLocalEnviron", () => Secret.fromLocalEnviron(["PATH"]), "Secret.fromLocalEnviron([PATH])"],
    ["Secret.fromDotenv", () => Secret.fromDotenv("/nowhere"), "Secret.fromDotenv"],
  ])("refuses %s, naming the function and the secret, never its values", (_, make, label) => {
    const app = new App("ephemeral", { secrets: [make()] });
    const f = app.function(() => 0);
    const { app: definition, names, base } = definitionOf({ f });
    const error = (() => {
      try {
        deployedFunctions(definition, names, base);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toContain(`Function 'f' of app 'ephemeral' uses ${label}`);
    expect((error as Error).message).toContain("lockbox secret create");
    expect((error as Error).message).not.toContain("fixture");
    expect((error as Error).message).not.toContain(process.env.PATH);
  });
});
