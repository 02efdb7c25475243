import { join } from "node:path";
import { functionRegistry, InvalidError, NotFoundError } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../test-support/run-cli.js";
import { useTempHome } from "../test-support/sdk-home.js";
import { userProject } from "../test-support/user-module.js";
import { App } from "./app.js";
import { RemoteFunction } from "./remote-function.js";
import { deployFile } from "./runner.js";
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

  it("checks env like Secret.fromDict and timeoutMs", () => {
    expect(() => app.function({ env: { N: 5 as unknown as string } }, () => 0)).toThrow(
      "Non-string value for secret 'N'",
    );
    expect(() => app.function({ env: { "A B": "x" } }, () => 0)).toThrow(InvalidError);
    expect(() => app.function({ timeoutMs: -1 }, () => 0)).toThrow(InvalidError);
    expect(() => new App("bad name")).toThrow(InvalidError);
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

const deployed = `
import { App, Secret } from "lockbox";
const app = new App("deployed");
export const version = app.function({ secrets: [Secret.fromName("release")] }, async (x: number) => process.env.RELEASE + ":" + x);
`;

describe("deploying and calling by name", () => {
  let home: ReturnType<typeof useTempHome>;
  let project: ReturnType<typeof userProject>;
  beforeAll(async () => {
    home = useTempHome();
    process.env.LOCKBOX_CONTAINER = "process";
    project = userProject({ "app.ts": deployed });
    await Secret.objects.create("release", { RELEASE: "r1" });
  });
  afterAll(async () => {
    delete process.env.LOCKBOX_CONTAINER;
    project.remove();
    await home.restore();
  });

  it("deploys the named app with its exported functions", async () => {
    const [deployment] = await deployFile({ entryFile: join(project.path, "app.ts") });
    expect(deployment).toMatchObject({
      name: "deployed",
      version: 1,
      functions: [{ name: "version", index: 0 }],
    });
  });

  it("runs a deployed function by name, with the secret's current values", async () => {
    const f = RemoteFunction.fromName<[number], string>("deployed", "version");
    expect(await f.remote(1)).toBe("r1:1");
    await Secret.fromName("release").update({ RELEASE: "r2" });
    const results: string[] = [];
    for await (const value of f.map([2, 3])) results.push(value);
    expect(results).toEqual(["r2:2", "r2:3"]);
  });

  it("names what is missing", async () => {
    await expect(RemoteFunction.fromName("deployed", "nope").remote()).rejects.toThrow(NotFoundError);
    await expect(RemoteFunction.fromName("never-deployed", "f").remote()).rejects.toThrow(
      "App 'never-deployed' is not deployed in environment 'main'",
    );
  });
});
