import { NotFoundError } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempHome } from "../test-support/sdk-home.js";
import { App } from "./app.js";
import { clientApi } from "./client.js";
import { containerEnvironment } from "./container-env.js";
import type { FunctionHandle } from "./function-handle.js";
import { type FunctionDefinition, functionDefinition } from "./internal.js";
import { Secret } from "./secret.js";
import { containerKey, mergeLayers, prepareLayers } from "./secret-layers.js";

function definitionOf(handle: FunctionHandle<[], unknown>): FunctionDefinition {
  const definition = functionDefinition(handle);
  if (!definition) throw new Error("not a function handle");
  return definition;
}

async function environmentFor(handle: FunctionHandle<[], unknown>) {
  const api = await clientApi();
  const layers = await prepareLayers(api, "main", definitionOf(handle).layers, (source) => source.load());
  return { layers, ...(await containerEnvironment(api, layers)) };
}

describe("mergeLayers", () => {
  it("lets the last layer win for each key, and keeps a key named __proto__ as a key", () => {
    const merged = mergeLayers([JSON.parse('{"__proto__": "first", "A": "1"}'), { A: "2" }]);
    expect(Object.keys(merged).sort()).toEqual(["A", "__proto__"]);
    expect(merged.A).toBe("2");
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });
});

describe("merge order", () => {
  let home: ReturnType<typeof useTempHome>;
  beforeAll(async () => {
    home = useTempHome();
    await Secret.objects.create("app-wide", { K: "app", A: "app" });
    await Secret.objects.create("one", { K: "one", B: "one" });
    await Secret.objects.create("two", { K: "two", C: "two" });
  });
  afterAll(() => home.restore());

  const app = new App("merge", { secrets: [Secret.fromName("app-wide")] });
  const secrets = [Secret.fromName("one"), Secret.fromDict({ K: "dict", D: "dict" }), Secret.fromName("two")];
  const withEnv = app.function({ secrets, env: { K: "env", E: undefined } }, () => 0);
  const withoutEnv = app.function({ secrets }, () => 0);
  const reversed = app.function({ secrets: [...secrets].reverse() }, () => 0);

  it("applies the app's secrets, then the function's in order, then env: the last one wins", async () => {
    const { env, sources } = await environmentFor(withEnv);
    expect(env).toEqual({ K: "env", A: "app", B: "one", C: "two", D: "dict" });
    expect(sources).toEqual(["app-wide", "one", "Secret.fromDict([K, D])", "two", "env [K, E]"]);
    expect((await environmentFor(withoutEnv)).env.K).toBe("two");
    expect((await environmentFor(reversed)).env.K).toBe("one");
  });

  it("fails on a missing secret or key before anything starts", async () => {
    const missing = app.function({ secrets: [Secret.fromName("nowhere")] }, () => 0);
    const lacking = app.function(
      { secrets: [Secret.fromName("one", { requiredKeys: ["B", "X", "Y"] })] },
      () => 0,
    );
    await expect(environmentFor(missing)).rejects.toThrow(
      new NotFoundError("Secret 'nowhere' not found in environment 'main'"),
    );
    await expect(environmentFor(lacking)).rejects.toThrow("Secret 'one' is missing key(s): X, Y");
  });

  it("keys warm containers by function, sandbox shape, secret versions and inline values", async () => {
    const key = async (handle: FunctionHandle<[], unknown>, sandbox = definitionOf(handle).sandbox) => {
      const target = { bundlePath: "/b/app.mjs", functionIndex: definitionOf(handle).index, sandbox };
      return containerKey(target, (await environmentFor(handle)).layers);
    };
    const first = await key(withEnv);
    expect(await key(withEnv)).toBe(first);
    expect(await key(withoutEnv)).not.toBe(first);
    expect(await key(withEnv, { network: "none", tmpMb: 64 })).not.toBe(first);
    expect(await key(withEnv, { network: "outbound", tmpMb: 65 })).not.toBe(first);
    await Secret.fromName("two").update({ C: "changed" });
    expect(await key(withEnv)).not.toBe(first);
    expect(first).not.toContain("dict");
  });
});
