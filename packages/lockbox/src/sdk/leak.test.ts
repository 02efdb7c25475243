import { randomBytes } from "node:crypto";
import { chmodSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { callApi, findIn, findOnDisk } from "@lockbox/server/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapToken } from "../test-support/cli-modes.js";
import { type CliServer, startCliServer } from "../test-support/cli-server.js";
import { argvOf, liveProcesses, processTree } from "../test-support/processes.js";
import { type CliResult, type RunCliOptions, runCli, tempDir } from "../test-support/run-cli.js";
import { userProject } from "../test-support/user-module.js";

// One random canary per run, in every value; the four values come from the four kinds of secret.
const canary = `CANARY${randomBytes(16).toString("hex")}`;
const values = {
  FROM_NAME: `${canary}name`,
  FROM_DICT: `${canary}dict`,
  FROM_DOTENV: `${canary}dotenv`,
  FROM_LOCAL: `${canary}local`,
};
const keys = Object.keys(values);

// No value is written in the module: the bundle is code only, and the values come from the
// caller's environment and .env file, as a user's would.
const userModule = `
import { App, Secret, isLocal } from "lockbox";

const app = new App("leak-hunt");
const keys = ${JSON.stringify(keys)};
const local = isLocal() ? Secret.fromDict({ FROM_DICT: process.env.LEAK_DICT }) : Secret.fromDict({});

export const leak = app.function(
  {
    secrets: [
      Secret.fromName("leak-named"),
      local,
      Secret.fromDotenv("__PROJECT__"),
      Secret.fromLocalEnviron(["FROM_LOCAL"]),
    ],
  },
  async (hold?: string) => {
    for (const key of keys) {
      console.log(key + "=" + process.env[key]);
      console.error(key + "=" + process.env[key]);
    }
    // The test looks at every process while this waits for its signal (the sandbox reaches no
    // host service to wait on).
    if (hold) {
      const released = new Promise((resolve) => process.once("SIGUSR2", resolve));
      console.log(hold);
      await released;
    }
    throw new Error("leak failed with " + keys.map((key) => process.env[key]).join(" "));
  },
);

const attempt = async (what: string, write: () => Promise<unknown>) => {
  try {
    await write();
    console.log(what + ": accepted");
  } catch (error) {
    console.log(what + ": " + (error as Error).name + ": " + (error as Error).message);
  }
};

export const setup = app.localEntrypoint(async () => {
  const value = process.env.LEAK_NAMED ?? "";
  const named = Secret.fromName("leak-named");
  await Secret.objects.create("leak-named", { FROM_NAME: "placeholder" });
  await named.update({ FROM_NAME: value });
  await attempt("taken", () => Secret.objects.create("leak-named", { FROM_NAME: value }));
  await attempt("bad key", () => Secret.objects.create("leak-refused", { "1BAD": value }));
  await attempt("NUL", () => named.update({ FROM_NAME: value + "\\0" }));
  await attempt("too long", () => named.update({ FROM_NAME: value.repeat(1000) }));
  await attempt("not a string", () => named.update({ FROM_NAME: value, OTHER: 5 as never }));
  console.log("set up " + (await named.info()).name);
});
`;

/** A line the function prints once it waits, and what tells that it was printed. */
function holdPoint() {
  const line = `HOLDING-${randomBytes(4).toString("hex")}`;
  let arrive = () => {};
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  return { line, arrived, onStdout: (stdout: string) => stdout.includes(`${line}\n`) && arrive() };
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).map((name) => join(dir, name));

const nothingFound = (where: string, found: string[]) =>
  expect(found, `${where} holds the canary (${found.join(", ")})`).toEqual([]);

let server: CliServer;
let serverData: ReturnType<typeof tempDir>;
let project: ReturnType<typeof userProject>;
/** The TMPDIR of every CLI run: where bundles are written. */
const tmpFolders: string[] = [];

beforeAll(async () => {
  serverData = tempDir("lockbox-leak-server-");
  server = await startCliServer({
    LOCKBOX_HOME: serverData.path,
    LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken,
    LOCKBOX_LOG_LEVEL: "trace",
  });
  project = userProject({ "app.ts": userModule, ".env": `FROM_DOTENV=${values.FROM_DOTENV}\n` });
});

afterAll(async () => {
  await server?.stop();
  serverData?.remove();
  project?.remove();
});

describe.each([
  "embedded",
  "server",
] as const)("a canary through the SDK and containers (%s mode)", (mode) => {
  let home: ReturnType<typeof tempDir>;
  let tmp: ReturnType<typeof tempDir>;

  const lockbox = (args: string[], options: RunCliOptions = {}) => {
    const env: Record<string, string> = {
      LOCKBOX_HOME: home.path,
      TMPDIR: tmp.path,
      LEAK_DICT: values.FROM_DICT,
      FROM_LOCAL: values.FROM_LOCAL,
      ...options.env,
    };
    if (mode === "server")
      Object.assign(env, { LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: bootstrapToken });
    return runCli(args, { timeoutMs: 60_000, ...options, env, cwd: project.path });
  };

  /** The folders of this mode where values must never be: the data folder, or the client's home and the server's. */
  const dataFolders = () => (mode === "server" ? [home.path, serverData.path] : [home.path]);

  beforeAll(() => {
    home = tempDir(`lockbox-leak-${mode}-`);
    tmp = tempDir(`lockbox-leak-tmp-${mode}-`);
    chmodSync(tmp.path, 0o711); // the sandbox's user must reach the bundles written here
    tmpFolders.push(tmp.path);
  });

  afterAll(() => {
    home?.remove();
    tmp?.remove();
  });

  it("stores a value through Secret.objects and refuses bad writes without echoing them", async () => {
    const result = await lockbox(["run", "app.ts"], { env: { LEAK_NAMED: values.FROM_NAME } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("taken: AlreadyExistsError");
    for (const refused of ["bad key", "NUL", "too long", "not a string"])
      expect(result.stdout).toContain(`${refused}: InvalidError`);
    expect(result.stdout).toContain("set up leak-named");
    nothingFound("the output", findIn(result.stdout, canary));
  });

  describe.each(["process", "sandbox"])("in %s containers", (backend) => {
    it("masks every value in the output and the error, and leaves none in argv, files or temp folders", async () => {
      const hold = holdPoint();
      let pid = 0;
      let containers: ReturnType<typeof liveProcesses> = [];
      const running = lockbox(["run", "app.ts::leak", "--", hold.line], {
        env: { LOCKBOX_CONTAINER: backend },
        onSpawn: (spawned) => {
          pid = spawned;
        },
        onStdout: hold.onStdout,
      });
      const ended = running.then((result: CliResult) => {
        throw new Error(`lockbox run ended before its function waited:\n${result.stderr}`);
      });
      ended.catch(() => undefined); // it always ends, after the race is won too
      try {
        await Promise.race([hold.arrived, ended]);
        const processes = liveProcesses();
        const tree = processTree(processes, pid);
        // The container is running, under the CLI (under the server, in server mode: the run is
        // the server's), with the values in its environment.
        const hosts = mode === "server" ? processTree(processes, server.pid) : tree;
        const mine = processes.filter((view) => hosts.has(view.pid));
        // The container's node itself (not bubblewrap, whose argv names the bootstrap too).
        containers = mine.filter(
          (view) => argvOf(view)[0] === process.execPath && argvOf(view)[1]?.endsWith("container-main.mjs"),
        );
        expect(containers.length).toBeGreaterThan(0);
        expect(containers.some((view) => findIn(view.environ, values.FROM_NAME).length > 0)).toBe(true);
        if (backend === "sandbox") expect(mine.some((view) => argvOf(view)[0]?.endsWith("bwrap"))).toBe(true);
        // `lockbox` is the CLI's title: its argv (the hold URL) was overwritten.
        const cli = processes.find((view) => view.pid === pid);
        expect(cli && argvOf(cli)).toEqual(["lockbox"]);

        for (const view of processes) {
          nothingFound(`the argv of process ${view.pid} (${argvOf(view)[0]})`, findIn(view.cmdline, canary));
          // Only the caller (whose environment held two values) and its containers may hold values.
          if (!tree.has(view.pid) && !hosts.has(view.pid))
            nothingFound(
              `the environment of process ${view.pid} (${argvOf(view)[0]})`,
              findIn(view.environ, canary),
            );
        }
        // The bundle is in this run's temp folder, and holds code, not values.
        expect(filesUnder(tmp.path).some((file) => file.endsWith("app.mjs"))).toBe(true);
        nothingFound("the temp folder", findOnDisk(tmp.path, canary));
        for (const folder of dataFolders()) nothingFound(folder, findOnDisk(folder, canary));
      } finally {
        for (const container of containers) process.kill(container.pid, "SIGUSR2");
      }
      const result = await running;
      expect(result.code).toBe(1);
      for (const key of keys) {
        expect(result.stdout).toContain(`${key}=***\n`);
        expect(result.stderr).toContain(`${key}=***\n`);
      }
      expect(result.stderr).toContain("Error: leak failed with *** *** *** ***\n");
      nothingFound("the output", findIn(result.stdout + result.stderr, canary));
      nothingFound("the temp folder after the run", findOnDisk(tmp.path, canary));
    });

    it("shows the values with --no-mask (the positive control)", async () => {
      const result = await lockbox(["run", "--no-mask", "app.ts::leak"], {
        env: { LOCKBOX_CONTAINER: backend },
      });
      expect(result.code).toBe(1);
      for (const [key, value] of Object.entries(values)) expect(result.stdout).toContain(`${key}=${value}\n`);
      expect(result.stderr).toContain(`Error: leak failed with ${Object.values(values).join(" ")}\n`);
      for (const folder of [tmp.path, ...dataFolders()]) nothingFound(folder, findOnDisk(folder, canary));
    });
  });

  it("keeps every value out of the audit log, which holds the runs", async () => {
    const audit = await lockbox(["audit", "list", "--json"]);
    expect(audit.code).toBe(0);
    const entries = JSON.parse(audit.stdout) as { action: string; secret: string | null }[];
    const starts = entries.filter((entry) => entry.action === "container.start");
    expect(starts.length).toBeGreaterThanOrEqual(4);
    expect(
      entries.filter((entry) => entry.action === "secret.update" && entry.secret === "leak-named"),
    ).toHaveLength(1);
    nothingFound("the audit log", findIn(audit.stdout, canary));
  });
});

describe("the API's answers to bad requests holding a value", () => {
  const base = "/v1/environments/main/secrets";
  const value = `${canary}http`;
  const answers: { what: string; status: number; text: string }[] = [];

  const send = async (
    what: string,
    method: string,
    path: string,
    options: Parameters<typeof callApi>[3] = {},
  ) => {
    const { status, text } = await callApi(server.url, method, path, { token: bootstrapToken, ...options });
    answers.push({ what, status, text });
    return status;
  };
  /** A POST of `body` exactly as given, with its own content type. */
  const raw = async (what: string, body: string, contentType: string, token = bootstrapToken) => {
    const response = await fetch(`${server.url}${base}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": contentType },
      body,
    });
    answers.push({ what, status: response.status, text: await response.text() });
    return response.status;
  };

  it("refuses each with a 4xx whose body does not echo it", async () => {
    expect(await send("create", "POST", base, { body: { name: "leak-http", values: { A: value } } })).toBe(
      201,
    );
    const create = (values: unknown, name = "leak-http-bad") => ({ body: { name, values } });
    expect(await send("a bad key", "POST", base, create({ "1BAD": value }))).toBe(400);
    expect(await send("NUL", "POST", base, create({ A: `${value}\0` }))).toBe(400);
    expect(await send("too long", "POST", base, create({ A: value.repeat(1000) }))).toBe(400);
    expect(await send("not a string", "POST", base, create({ A: value, B: 5 }))).toBe(400);
    expect(await send("a bad name", "POST", base, create({ A: value }, "bad name!"))).toBe(400);
    expect(await send("a taken name", "POST", base, create({ A: value }, "leak-http"))).toBe(409);
    expect(
      await send("a stale version", "PATCH", `${base}/leak-http`, {
        body: { set: { A: value }, ifVersion: 9 },
      }),
    ).toBe(409);
    expect(await send("a missing secret", "PATCH", `${base}/missing`, { body: { set: { A: value } } })).toBe(
      404,
    );
    expect(
      await send("a missing environment", "POST", "/v1/environments/nope/secrets", create({ A: value })),
    ).toBe(404);
    expect(await send("no such route", "PUT", base, create({ A: value }))).toBe(404);
    expect(
      await raw("malformed JSON", `{"name":"leak-http-bad","values":{"A":"${value}"`, "application/json"),
    ).toBe(400);
    expect(await raw("a form body", `A=${value}`, "application/x-www-form-urlencoded")).toBe(415);
    expect(
      await raw("a value as the token", JSON.stringify(create({ A: value }).body), "application/json", value),
    ).toBe(401);
    expect(
      await send("a value as the sign-in token", "POST", "/v1/sessions", {
        body: { token: value },
        token: null,
      }),
    ).toBe(401);
    const viewer = await callApi(server.url, "POST", "/v1/tokens", {
      token: bootstrapToken,
      body: { role: "viewer" },
    });
    expect(viewer.status).toBe(201);
    expect(
      await send("a viewer's write", "PATCH", `${base}/leak-http`, {
        token: viewer.body.value,
        body: { set: { A: value } },
      }),
    ).toBe(403);
    for (const { what, status, text } of answers.filter((answer) => answer.status >= 300)) {
      expect(status, what).toBeLessThan(500);
      expect(JSON.parse(text).error.code, what).toEqual(expect.any(String));
      nothingFound(`the answer to ${what}`, findIn(text, canary));
    }
  });
});

describe("after every path ran", () => {
  it("finds no value in the temp folders, the server's data folder or any line the server logged", async () => {
    for (const folder of [...tmpFolders, serverData.path]) nothingFound(folder, findOnDisk(folder, canary));
    await server.stop(); // flushes every log line
    const log = server.output();
    const lines = log
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg?: string; req?: { route?: string; url?: string } });
    const routes = lines.flatMap((line) => (line.req?.route === undefined ? [] : [line.req.route]));
    // The log was on, at trace level, and saw the runs' requests: a run's start, which carried
    // its ephemeral values. Lines name a request's route, never its URL.
    expect(lines.some((line) => line.msg === "request completed")).toBe(true);
    expect(routes).toContain("/v1/environments/:environment/runs");
    expect(routes).toContain("/v1/environments/:environment/secrets/:name");
    expect(lines.filter((line) => line.req?.url !== undefined)).toEqual([]);
    nothingFound("the server log", findIn(log, canary));
  });
});
