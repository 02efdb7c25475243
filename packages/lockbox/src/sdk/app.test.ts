import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { functionRegistry, InvalidError, NotFoundError } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess, tempDir } from "../test-support/run-cli.js";
import { useTempHome } from "../test-support/sdk-home.js";
import { userProject } from "../test-support/user-module.js";
import { App } from "./app.js";
import { clientApi } from "./client.js";
import { RemoteFunction } from "./remote-function.js";
import { deployFile, startRun } from "./runner.js";
import { Secret } from "./secret.js";

describe("App", () => {
  const app = new App("checks");

  it("registers each function in definition order", () => {
    const before = functionRegistry().length;
    const first = () => 1;
    const second = () => 2;
    app.function(first);
    app.function({}, second);
    expect(functionRegistry().slice(before)).toEqual([first, second]);
  });

  it("runs .local() in this process", async () => {
    const double = app.function(async (n: number) => n * 2);
    expect(await double.local(21)).toBe(42);
  });

  it("rejects secrets that are not Secret objects", () => {
    const message = "`secrets` has to be an array of Secret objects";
    expect(() => app.function({ secrets: ["name" as unknown as Secret] }, () => 0)).toThrow(
      new InvalidError(message),
    );
    expect(() => new App("x", { secrets: Secret.fromDict({}) as unknown as Secret[] })).toThrow(message);
  });

  it("checks env like Secret.fromDict, and timeoutMs", () => {
    expect(() => app.function({ env: { N: 5 as unknown as string } }, () => 0)).toThrow(
      "Non-string value for secret 'N'",
    );
    expect(() => app.function({ env: { "A B": "x" } }, () => 0)).toThrow(InvalidError);
    expect(() => app.function({ timeoutMs: -1 }, () => 0)).toThrow(InvalidError);
    expect(() => app.function({ timeoutMs: 1.5 }, () => 0)).toThrow("`timeoutMs` must be a whole number");
    expect(() => app.function({ timeoutMs: 2 ** 31 }, () => 0)).toThrow(InvalidError);
    expect(() => new App("bad name")).toThrow(InvalidError);
  });

  it("checks network and tmpMb, naming what is allowed", () => {
    expect(() => app.function({ network: "host" as never }, () => 0)).toThrow(
      new InvalidError("`network` must be 'outbound' or 'none'"),
    );
    for (const tmpMb of [0, 1.5, 4097, "64" as never]) {
      expect(() => app.function({ tmpMb }, () => 0)).toThrow(
        new InvalidError("`tmpMb` must be a whole number of MiB from 1 to 4096"),
      );
    }
  });

  it("refuses .remote() outside a running app", async () => {
    const f = app.function(async () => 1);
    await expect(f.remote()).rejects.toThrow(/needs a running app/);
  });
});

const script = `
import { App, Secret, isLocal } from "lockbox";
const app = new App("script");
export const hello = app.function({ secrets: [Secret.fromName("greeting")] }, async (name) => process.env.GREETING + ", " + name + " (local " + isLocal() + ")");
console.log("module evaluated, local " + isLocal());
await app.run(async () => {
  console.log(await hello.remote("world"));
});
console.log("after the run");
`;

describe("app.run in a script started with node", () => {
  let home: ReturnType<typeof useTempHome>;
  beforeAll(async () => {
    home = useTempHome();
    await Secret.objects.create("greeting", { GREETING: "hello" });
  });
  afterAll(() => home.restore());

  it("bundles the script, runs the call in a container and stops; the container's app.run does nothing", async () => {
    const project = userProject({ "script.mjs": script });
    try {
      const result = await runProcess(process.execPath, [join(project.path, "script.mjs")], {
        env: { LOCKBOX_HOME: home.path, LOCKBOX_CONTAINER: "process" },
      });
      expect(result.stderr).toBe("");
      expect(result.stdout.split("\n")).toEqual([
        "module evaluated, local true",
        "module evaluated, local false",
        "after the run",
        "hello, world (local false)",
        "after the run",
        "",
      ]);
      expect(result.code).toBe(0);
    } finally {
      project.remove();
    }
  });
});

const deployedModule = (tag: string) => `
import { writeFileSync } from "node:fs";
import { App, Secret, isLocal } from "lockbox";
// A side effect on import: only the deployer's own process may ever run this.
if (isLocal()) writeFileSync("__PROJECT__/imported.txt", "imported");
const app = new App("deployed", { secrets: [Secret.fromName("shared")] });
export const version = app.function(
  { secrets: [Secret.fromName("release", { requiredKeys: ["RELEASE"] })], env: { MODE: "deployed" }, timeoutMs: 20000, network: "none", tmpMb: 16 },
  async (x: number) => "${tag}:" + process.env.RELEASE + ":" + x + ":" + process.env.CLASH + ":" + process.env.MODE,
);
`;

const ephemeralModule = `
import { App, Secret } from "lockbox";
const app = new App("ephemeral");
export const fine = app.function({ secrets: [Secret.fromName("release")] }, async () => 1);
export const leaky = app.function({ secrets: [Secret.fromName("release"), Secret.fromDict({ TOKEN: "fixture-token" })] }, async () => 2);
`;

const registryLength = (name: string) =>
  ((globalThis as Record<symbol, unknown[] | undefined>)[Symbol.for(name)] ?? []).length;

describe("deploying and calling by name", () => {
  let home: ReturnType<typeof useTempHome>;
  let project: ReturnType<typeof userProject>;
  let bundles: ReturnType<typeof tempDir>;
  let savedTmp: string | undefined;
  const marker = () => join(project.path, "imported.txt");
  // Folders written for containers: TMPDIR points at a folder of this test's own.
  const bundleFolders = () => readdirSync(bundles.path).filter((name) => name.startsWith("lockbox-bundle-"));

  beforeAll(async () => {
    home = useTempHome();
    process.env.LOCKBOX_CONTAINER = "process";
    project = userProject({ "app.ts": deployedModule("v1"), "ephemeral.ts": ephemeralModule });
    bundles = tempDir("lockbox-tmp-");
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = bundles.path;
    await Secret.objects.create("shared", { CLASH: "shared", SHARED: "s" });
    await Secret.objects.create("release", { RELEASE: "r1", CLASH: "release" });
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    delete process.env.LOCKBOX_CONTAINER;
    project.remove();
    bundles.remove();
    await home.restore();
  });

  it("deploys the named app with each function's secret names, env and timeout", async () => {
    const [deployment] = await deployFile({ entryFile: join(project.path, "app.ts") });
    expect(deployment).toMatchObject({
      name: "deployed",
      version: 1,
      functions: [{ name: "version", index: 0 }],
    });
    const stored = await (await clientApi()).apps.get({ environment: "main", name: "deployed" });
    expect(stored.functions).toEqual([
      {
        name: "version",
        index: 0,
        secrets: [{ name: "shared" }, { name: "release", requiredKeys: ["RELEASE"] }],
        env: { MODE: "deployed" },
        timeoutMs: 20_000,
        network: "none",
        tmpMb: 16,
      },
    ]);
    // The deploy imported the deployer's module in the deployer's process; calls never will.
    expect(existsSync(marker())).toBe(true);
    rmSync(marker());
    expect(bundleFolders()).toEqual([]);
  });

  it("runs a deployed function by name with the secrets' current values, never importing it here", async () => {
    const functionsBefore = registryLength("lockbox.functions");
    const appsBefore = registryLength("lockbox.apps");
    const f = RemoteFunction.fromName<[number], string>("deployed", "version");
    expect(await f.remote(1)).toBe("v1:r1:1:release:deployed");
    await Secret.fromName("release").update({ RELEASE: "r2" });
    const results: string[] = [];
    for await (const value of f.map([2, 3])) results.push(value);
    expect(results).toEqual(["v1:r2:2:release:deployed", "v1:r2:3:release:deployed"]);
    for (let i = 0; i < 5; i++) await RemoteFunction.fromName("deployed", "version").remote(i);
    expect(existsSync(marker())).toBe(false);
    expect(registryLength("lockbox.functions")).toBe(functionsBefore);
    expect(registryLength("lockbox.apps")).toBe(appsBefore);
    expect(bundleFolders()).toHaveLength(1);
  });

  it("gives an edited secret to the next container of a run, and picks up a redeploy", async () => {
    const caller = join(project.path, "caller.ts");
    writeFileSync(caller, 'import { App } from "lockbox";\nexport const app = new App();\n');
    const run = await startRun({ entryFile: caller });
    try {
      const f = RemoteFunction.fromName<[number], string>("deployed", "version");
      expect(await f.remote(1)).toBe("v1:r2:1:release:deployed");
      await Secret.fromName("release").update({ RELEASE: "r3" });
      expect(await f.remote(2)).toBe("v1:r3:2:release:deployed");
      writeFileSync(
        join(project.path, "app.ts"),
        deployedModule("v2").replaceAll("__PROJECT__", project.path),
      );
      expect((await deployFile({ entryFile: join(project.path, "app.ts") }))[0]?.version).toBe(2);
      rmSync(marker());
      expect(await f.remote(3)).toBe("v2:r3:3:release:deployed");
    } finally {
      await run.stop();
    }
    expect(existsSync(marker())).toBe(false);
    expect(bundleFolders()).toHaveLength(2);
  });

  it("refuses to deploy a function with an ephemeral secret, storing nothing", async () => {
    const error = await deployFile({ entryFile: join(project.path, "ephemeral.ts") }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toContain(
      "Function 'leaky' of app 'ephemeral' uses Secret.fromDict([TOKEN])",
    );
    expect((error as Error).message).toContain("lockbox secret create");
    expect((error as Error).message).not.toContain("fixture-token");
    await expect(RemoteFunction.fromName("ephemeral", "fine").remote()).rejects.toThrow(
      "App 'ephemeral' is not deployed in environment 'main'",
    );
  });

  it("names what is missing", async () => {
    await expect(RemoteFunction.fromName("deployed", "nope").remote()).rejects.toThrow(NotFoundError);
    await expect(RemoteFunction.fromName("never-deployed", "f").remote()).rejects.toThrow(
      "App 'never-deployed' is not deployed in environment 'main'",
    );
  });
});
