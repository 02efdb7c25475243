import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bootstrapToken } from "../test-support/cli-modes.js";
import { type CliServer, startCliServer } from "../test-support/cli-server.js";
import { argvOf, liveProcesses, processTree } from "../test-support/processes.js";
import { tempDir } from "../test-support/run-cli.js";
import { useTempHome } from "../test-support/sdk-home.js";
import { userProject, wrongKeys } from "../test-support/user-module.js";
import { clientApi } from "./client.js";
import { RemoteFunction } from "./remote-function.js";
import { deployFile, startRun } from "./runner.js";
import { Secret } from "./secret.js";

const userModule = `
import { App, Secret } from "lockbox";
const app = new App("over-http");
export const read = app.function({ secrets: [Secret.fromName("db", { requiredKeys: ["DB_URL"] })] }, async () => ({
  DB_URL: process.env.DB_URL,
  LOCKBOX_TOKEN: process.env.LOCKBOX_TOKEN,
  LOCKBOX_SERVER_URL: process.env.LOCKBOX_SERVER_URL,
}));
export const talk = app.function({ secrets: [Secret.fromName("db")] }, async (ms: number) => {
  console.log("db is " + process.env.DB_URL);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { DB_URL: process.env.DB_URL, at: new Map([[process.env.DB_URL, new Date(0)]]) };
});
`;

const filesModule = `
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { App } from "lockbox";
const app = new App("files-over-http");
export const read = app.function({ files: { "/data/words.txt": "./words.txt", "/app/assets": "./assets" } }, async () => {
  let write = "written";
  try { writeFileSync("/data/words.txt", "changed"); } catch (error) { write = (error as NodeJS.ErrnoException).code ?? "?"; }
  return { words: readFileSync("/data/words.txt", "utf8"), assets: readdirSync("/app/assets/deep"), write };
});
`;

describe("the SDK against a lockbox server", () => {
  let home: ReturnType<typeof useTempHome>;
  let data: ReturnType<typeof tempDir>;
  let server: CliServer;
  let project: ReturnType<typeof userProject>;

  beforeAll(async () => {
    home = useTempHome();
    data = tempDir("lockbox-server-data-");
    server = await startCliServer({ LOCKBOX_HOME: data.path, LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken });
    process.env.LOCKBOX_SERVER_URL = server.url;
    process.env.LOCKBOX_TOKEN = bootstrapToken;
    process.env.LOCKBOX_CONTAINER = "process";
    project = userProject({ "app.ts": userModule });
  });

  afterAll(async () => {
    delete process.env.LOCKBOX_CONTAINER;
    project.remove();
    await home.restore();
    await server.stop();
    data.remove();
  });

  it("manages secrets and runs a function on the server, whose container gets the values, not the caller's token", async () => {
    await Secret.objects.create("db", { DB_URL: "fixture-db-url" });
    expect((await Secret.objects.list()).map((secret) => secret.name)).toEqual(["db"]);
    const run = await startRun({ entryFile: join(project.path, "app.ts") });
    try {
      // The server's container got the value; the caller, its masked result.
      const result = (await run.findFunction("read")?.remote()) as Record<string, unknown>;
      expect(wrongKeys(result, { DB_URL: "***" })).toEqual([]);
    } finally {
      await run.stop();
    }
    const api = await clientApi();
    const starts = (await api.audit.list({})).filter((entry) => entry.action === "container.start");
    expect(starts.map((entry) => entry.secret)).toEqual(["db"]);
  });

  it("deploys over HTTP with the functions' secret names, and calls the function by name", async () => {
    const [deployment] = await deployFile({ entryFile: join(project.path, "app.ts") });
    expect(deployment).toMatchObject({
      name: "over-http",
      functions: [
        { name: "read", index: 0 },
        { name: "talk", index: 1 },
      ],
    });
    const stored = await (await clientApi()).apps.get({ environment: "main", name: "over-http" });
    expect(stored.functions[0]?.secrets).toEqual([{ name: "db", requiredKeys: ["DB_URL"] }]);
    // On the server: the container gets the value, the caller a masked result.
    const result = await RemoteFunction.fromName<[], Record<string, unknown>>("over-http", "read").remote();
    expect(wrongKeys(result, { DB_URL: "***" })).toEqual([]);
  });

  it("calls a deployed function in a container of the server's, its output streamed and masked", async () => {
    const written: string[] = [];
    const capture = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const pending = RemoteFunction.fromName<[number], Record<string, unknown>>("over-http", "talk").remote(
        1000,
      );
      for (let tries = 0; tries < 200 && !written.join("").includes("db is"); tries++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      // While it runs: a container below the server, and none below this process but through it
      // (the server is this test's child). Other test files' containers are neither's.
      const processes = liveProcesses();
      const mine = processTree(processes, process.pid);
      const servers = processTree(processes, server.pid);
      const containers = processes.filter(
        (view) => mine.has(view.pid) && argvOf(view).some((arg) => arg.endsWith("/container-main.mjs")),
      );
      expect(containers.some((view) => servers.has(view.pid))).toBe(true);
      expect(containers.filter((view) => !servers.has(view.pid))).toEqual([]);
      const result = await pending;
      expect(result).toEqual({ DB_URL: "***", at: new Map([["***", new Date(0)]]) });
    } finally {
      capture.mockRestore();
    }
    expect(written.join("")).toBe("db is ***\n");
  });

  it("calls deployed functions here with --local, reading the secrets with the caller's token", async () => {
    const run = await startRun({ entryFile: join(project.path, "app.ts"), local: true });
    try {
      const result = await RemoteFunction.fromName<[], Record<string, unknown>>("over-http", "read").remote();
      expect(wrongKeys(result, { DB_URL: "fixture-db-url" })).toEqual([]);
    } finally {
      await run.stop();
    }
  });

  it("runs and deploys a function with its files, which it reads and cannot write, in the sandbox", async () => {
    const withFiles = userProject({
      "app.ts": filesModule,
      "words.txt": "alpha beta\n",
      "assets/deep/inner.txt": "inner",
    });
    process.env.LOCKBOX_CONTAINER = "sandbox";
    const expected = { words: "alpha beta\n", assets: ["inner.txt"] };
    try {
      const run = await startRun({ entryFile: join(withFiles.path, "app.ts") });
      try {
        expect(await run.findFunction("read")?.remote()).toMatchObject(expected);
      } finally {
        await run.stop();
      }
      await deployFile({ entryFile: join(withFiles.path, "app.ts") });
      // The deploy is a snapshot: the caller's container reads what was deployed, not the folder now.
      writeFileSync(join(withFiles.path, "words.txt"), "edited after the deploy\n");
      const deployed = await RemoteFunction.fromName<[], Record<string, unknown>>(
        "files-over-http",
        "read",
      ).remote();
      expect(deployed).toMatchObject(expected);
      expect(["EROFS", "EACCES"]).toContain(deployed.write);
    } finally {
      process.env.LOCKBOX_CONTAINER = "process";
      withFiles.remove();
    }
  });
});
