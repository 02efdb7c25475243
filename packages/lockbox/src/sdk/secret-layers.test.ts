import { NotFoundError } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempHome } from "../test-support/sdk-home.js";
import { App } from "./app.js";
import { clientApi } from "./client.js";
import { containerEnvironment } from "./container-env.js";
import type { FunctionDefinition } from "./definitions.js";
import type { FunctionHandle } from "./function-handle.js";
import { functionDefinition } from "./global-slots.js";
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

  it("reads exactly the versions its key names, in one audited container start", async () => {
    const api = await clientApi();
    const pinned = app.function({ secrets: [Secret.fromName("one"), Secret.fromName("two")] }, () => 0);
    const layers = await prepareLayers(api, "main", definitionOf(pinned).layers, (source) => source.load());
    const target = {
      bundlePath: "/b/app.mjs",
      functionIndex: definitionOf(pinned).index,
      sandbox: definitionOf(pinned).sandbox,
    };
    const key = containerKey(target, layers);
    const versions = (await api.secrets.list({ environment: "main" })).filter((info) =>
      ["app-wide", "one", "two"].includes(info.name),
    );
    // A change between the check and the start must not reach a container keyed by the old version.
    await Secret.fromName("one").update({ B: "newer" });
    const before = (await api.audit.list({ limit: 1 }))[0]?.id ?? 0;
    const { env } = await containerEnvironment(api, layers);
    expect(env.B).toBe("one");
    const entries = (await api.audit.list({ limit: 20 })).filter((entry) => entry.id > before);
    expect(
      entries
        .map(({ action, secret, version }) => ({ action, secret, version }))
        .sort((a, b) => String(a.secret).localeCompare(String(b.secret))),
    ).toEqual(
      versions
        .map(({ name, version }) => ({ action: "container.start", secret: name, version }))
        .sort((a, b) => a.secret.localeCompare(b.secret)),
    );
    for (const { name, version } of versions) expect(key).toContain(`main/${name}@${version}`);
  });
});
