import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapToken } from "../test-support/cli-modes.js";
import { type CliServer, startCliServer } from "../test-support/cli-server.js";
import { argvOf, liveProcesses, processTree } from "../test-support/processes.js";
import { runCli, runProcess, tempDir } from "../test-support/run-cli.js";
import { useTempHome } from "../test-support/sdk-home.js";
import { userProject } from "../test-support/user-module.js";
import { clientApi } from "./client.js";
import { startRun } from "./runner.js";
import { Secret } from "./secret.js";

const canary = "CANARY-ephemeral-run-5d0e2b97";

// An ephemeral secret, read on the caller's machine only, beside a named one.
const userModule = `
import { App, Secret, isLocal } from "lockbox";
const app = new App("ephemeral");
const local = Secret.fromDict({ EPHEMERAL: isLocal() ? process.env.LOCAL_VALUE : undefined });
export const read = app.function({ secrets: [Secret.fromName("db"), local] }, async () => ({
  DB_URL: process.env.DB_URL,
  EPHEMERAL: process.env.EPHEMERAL,
}));
export const talk = app.function({ secrets: [local] }, async (ms: string) => {
  console.log("ephemeral is " + process.env.EPHEMERAL);
  await new Promise((resolve) => setTimeout(resolve, Number(ms)));
  return process.env.EPHEMERAL;
});
// The subject of its identity token (masked as a whole, so decoded here).
export const whoAmI = app.function({}, async () => {
  const [, payload = ""] = (process.env.LOCKBOX_IDENTITY_TOKEN ?? "").split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString()).sub;
});
export const main = app.localEntrypoint(async () => {
  const lengths = [];
  for await (const value of talk.map(["1", "2", "3"])) lengths.push(value);
  console.log("mapped " + lengths.join(","));
});
`;

// A script run with plain node, whose functions run through `app.run`.
const script = `
import { App, Secret } from "lockbox";
const app = new App();
const local = Secret.fromLocalEnviron(["LOCAL_VALUE"]);
export const read = app.function({ secrets: [local] }, async () => process.env.LOCAL_VALUE);
await app.run(async () => console.log("app.run got " + (await read.remote())));
`;

/** Container processes live now: where each runs, below the server or below `pid`. */
function containersBelow(pid: number, server: number) {
  const processes = liveProcesses();
  const containers = processes.filter((view) =>
    argvOf(view).some((arg) => arg.endsWith("/container-main.mjs")),
  );
  const serverTree = processTree(processes, server);
  const own = processTree(processes, pid);
  return {
    server: containers.filter((view) => serverTree.has(view.pid)).length,
    own: containers.filter((view) => own.has(view.pid) && !serverTree.has(view.pid)).length,
  };
}

describe("an app run in server mode", () => {
  let home: ReturnType<typeof useTempHome>;
  let data: ReturnType<typeof tempDir>;
  let server: CliServer;
  let project: ReturnType<typeof userProject>;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    home = useTempHome();
    data = tempDir("lockbox-server-data-");
    const env = {
      LOCKBOX_HOME: data.path,
      LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken,
      LOCKBOX_CONTAINER: "process",
    };
    server = await startCliServer(env);
    process.env.LOCKBOX_SERVER_URL = server.url;
    process.env.LOCKBOX_TOKEN = bootstrapToken;
    process.env.LOCAL_VALUE = canary;
    project = userProject({ "app.ts": userModule, "script.mjs": script });
    cliEnv = {
      LOCKBOX_SERVER_URL: server.url,
      LOCKBOX_TOKEN: bootstrapToken,
      LOCKBOX_CONTAINER: "process",
      LOCAL_VALUE: canary,
    };
    await Secret.objects.create("db", { DB_URL: "fixture-db-url-4471" });
  });

  afterAll(async () => {
    delete process.env.LOCAL_VALUE;
    project.remove();
    await home.restore();
    await server.stop();
    data.remove();
  });

  it("runs the module's functions on the server with the run's ephemeral secret, masked, and audits the run", async () => {
    const run = await startRun({ entryFile: join(project.path, "app.ts") });
    try {
      expect(await run.findFunction("read")?.remote()).toEqual({ DB_URL: "***", EPHEMERAL: "***" });
    } finally {
      await run.stop();
    }
    const entries = await (await clientApi()).audit.list({});
    expect(entries.find((entry) => entry.action === "run.start")).toMatchObject({
      target: expect.stringMatching(/^run_[\w-]{8} \(3 functions\)$/),
    });
    expect(entries.find((entry) => entry.action === "function.call")).toMatchObject({
      target: expect.stringMatching(/^run_[\w-]{8}\/read$/),
    });
    expect(server.output()).not.toContain(canary);
  });

  it("gives the run's containers an identity token that names the run and the app", async () => {
    const run = await startRun({ entryFile: join(project.path, "app.ts") });
    try {
      expect(await run.findFunction("whoAmI")?.remote()).toMatch(
        /^lockbox:workspace:default:environment:main:run:run_[\w-]{8}:app:ephemeral:function:whoAmI$/,
      );
    } finally {
      await run.stop();
    }
  });

  it("runs `lockbox run FILE::fn` in the server's container, none of the CLI's", async () => {
    let seen: ReturnType<typeof containersBelow> | undefined;
    let cli = 0;
    const result = await runCli(["run", `${join(project.path, "app.ts")}::talk`, "--", "1500"], {
      env: cliEnv,
      onSpawn: (pid) => {
        cli = pid;
      },
      onStdout: (stdout) => {
        if (!seen && stdout.includes("ephemeral is")) seen = containersBelow(cli, server.pid);
      },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ephemeral is ***\n"***"\n');
    expect(seen).toEqual({ server: expect.any(Number), own: 0 });
    expect(seen?.server).toBeGreaterThan(0);
  });

  it("runs `lockbox run FILE::fn --local` in a container of the CLI's", async () => {
    let seen: ReturnType<typeof containersBelow> | undefined;
    let cli = 0;
    const result = await runCli(["run", `${join(project.path, "app.ts")}::talk`, "--local", "--", "1500"], {
      env: cliEnv,
      onSpawn: (pid) => {
        cli = pid;
      },
      onStdout: (stdout) => {
        if (!seen && stdout.includes("ephemeral is")) seen = containersBelow(cli, server.pid);
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ephemeral is ***\n"***"\n');
    expect(seen?.own).toBeGreaterThan(0);
  });

  it("runs app.run's calls on the server, in a script started with node", async () => {
    const result = await runProcess(process.execPath, [join(project.path, "script.mjs")], { env: cliEnv });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("app.run got ***\n");
    const entries = await (await clientApi()).audit.list({});
    expect(
      entries.filter((entry) => entry.action === "function.call").map((entry) => entry.target),
    ).toContainEqual(expect.stringMatching(/^run_[\w-]{8}\/read$/));
  });

  it("runs a local entrypoint whose .map calls go to the server", async () => {
    const result = await runCli(["run", join(project.path, "app.ts")], { env: cliEnv });
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("mapped ***,***,***\n");
    expect(result.stdout).not.toContain(canary);
  });
});
