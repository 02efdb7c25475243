import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lockbox, openLockbox } from "../lockbox.js";
import { limits } from "../shared/rules.js";
import { findIn, findOnDisk } from "../test-support/at-rest.js";
import { processesWith } from "../test-support/container-bundle.js";
import { openRun } from "../test-support/run-stream.js";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { dropTestDatabase, testDatabaseUrl } from "../test-support/test-database.js";
import { callApi } from "../test-support/test-server.js";
import { buildApp, redactedPaths } from "./app.js";

const adminToken = "lbx_test_ephemeral_runs_admin_7a2d";
const named = "CANARY-run-named-0b4f17c2";
const ephemeral = "CANARY-run-ephemeral-9e6a3d51";
const base = "/v1/environments/main";

// `show` reports its environment; `hold` writes, then waits `ms` before it answers.
const bundle = `
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
registry.push(async () => {
  console.log("ephemeral is " + process.env.EPHEMERAL);
  return { ephemeral: process.env.EPHEMERAL, named: process.env.PASSWORD, inlineWins: process.env.ORDER === "inline-wins" };
});
registry.push(async (ms) => {
  console.log("started with " + process.env.EPHEMERAL);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return "done";
});
`;

const inline = {
  kind: "inline",
  label: "Secret.fromDict([EPHEMERAL, ORDER])",
  values: { EPHEMERAL: ephemeral, ORDER: "inline-wins" },
};
const runBody = (tag = "") => ({
  bundle: `${bundle}\n// ${tag}`,
  functions: [
    { index: 0, name: "show", layers: [{ kind: "named", name: "db" }, inline] },
    { index: 1, name: "hold", layers: [inline], timeoutMs: 60_000 },
  ],
});

let dataDir: string;
let lockbox: Lockbox;
let server: Awaited<ReturnType<typeof buildApp>>;
let url: string;
const lines: string[] = [];

const call = (method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
  callApi(url, method, path, { token: adminToken, ...options });

const startRun = (body: unknown, token = adminToken) => openRun(url, token, body);

async function tokenWithRole(role: string): Promise<string> {
  const answer = await call("POST", "/v1/tokens", { body: { role } });
  expect(answer.status).toBe(201);
  return answer.body.value;
}

/** Live processes of this server's containers of ephemeral runs (their code is in a `run-` folder). */
const runContainers = () => processesWith(/lockbox-server-[^/]+\/run-/, { below: process.pid });

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

beforeAll(async () => {
  dataDir = makeTempDir();
  lockbox = await openLockbox({ dataDir, databaseUrl: await testDatabaseUrl(dataDir) });
  await lockbox.bootstrap({ token: adminToken });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace", redact: { paths: redactedPaths, censor: "[redacted]" } }, sink);
  server = await buildApp({ ...lockbox, logger });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
  const values = { PASSWORD: named, ORDER: "named-loses" };
  expect((await call("POST", `${base}/secrets`, { body: { name: "db", values } })).status).toBe(201);
});

let closed = false;

afterAll(async () => {
  if (!closed) {
    await server?.close();
    await lockbox?.close();
  }
  if (dataDir) {
    await dropTestDatabase(dataDir);
    removeTempDir(dataDir);
  }
});

describe("ephemeral runs", () => {
  it("runs a function with its named and inline layers in order, masked, and keeps the values off disk and out of the log", async () => {
    const run = await startRun(runBody("values"));
    expect(run.status, run.text).toBe(200);
    const called = await call("POST", `/v1/runs/${run.id}/functions/0/call`, { body: { args: [] } });
    expect(called.status).toBe(200);
    expect(called.body.result).toEqual({ ephemeral: "***", named: "***", inlineWins: true });
    expect(called.body.output).toBe("ephemeral is ***\n");
    expect(called.body.version).toBeUndefined();
    expect(called.text).not.toContain(ephemeral);
    run.close();
    const audit = await call("GET", "/v1/audit?limit=50");
    const entries = audit.body.entries as { action: string; target: string | null; secret: string | null }[];
    // Both name the run by the start of its id.
    const tag = run.id.slice(0, 12);
    expect(entries.find((entry) => entry.action === "run.start")).toMatchObject({
      target: `${tag} (2 functions)`,
    });
    expect(entries.find((entry) => entry.action === "function.call")).toMatchObject({
      target: `${tag}/show`,
    });
    expect(entries.some((entry) => entry.action === "container.start" && entry.secret === "db")).toBe(true);
    expect(audit.text).not.toContain(ephemeral);
    // The run has ended: its containers go, and its id answers 404.
    await until(
      async () =>
        (await call("POST", `/v1/runs/${run.id}/functions/0/call`, { body: { args: [] } })).status === 404,
      "the closed run to end",
    );
    expect(findOnDisk(dataDir, ephemeral)).toEqual([]);
    expect(findIn(lines.join(""), ephemeral)).toEqual([]);
    expect(findIn(lines.join(""), named)).toEqual([]);
  });

  it("stops the run's container and ends the run when its caller is killed mid-call", async () => {
    const before = new Set(runContainers());
    // A caller in its own process, as a user's `lockbox run` is: it starts the run, then calls.
    const caller = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const headers = { authorization: "Bearer " + process.env.TOKEN, "content-type": "application/json" };
         const started = await fetch(process.env.URL + "/v1/environments/main/runs", { method: "POST", headers, body: process.env.BODY });
         const reader = started.body.getReader();
         let text = "";
         while (!text.includes("\\n")) text += new TextDecoder().decode((await reader.read()).value);
         const id = JSON.parse(text.slice(0, text.indexOf("\\n"))).run.id;
         process.stdout.write("id:" + id + "\\n");
         const called = await fetch(process.env.URL + "/v1/runs/" + id + "/functions/1/call", { method: "POST", headers: { ...headers, accept: "application/x-ndjson" }, body: '{"args":[60000]}' });
         for await (const chunk of called.body) process.stdout.write(chunk);`,
      ],
      {
        env: { URL: url, TOKEN: adminToken, BODY: JSON.stringify(runBody("killed")) },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    await new Promise<void>((resolve) =>
      caller.stdout.on("data", (chunk) => {
        out += String(chunk);
        if (out.includes("started")) resolve();
      }),
    );
    expect(out).not.toContain(ephemeral);
    const id = /id:(\S+)/.exec(out)?.[1];
    const running = runContainers().filter((pid) => !before.has(pid));
    expect(running.length).toBeGreaterThan(0);
    caller.kill("SIGKILL");
    await until(
      () => running.every((pid) => !runContainers().includes(pid)),
      "the killed caller's container to stop",
    );
    await until(() => runContainers().every((pid) => before.has(pid)), "the run's spares to stop");
    const after = await call("POST", `/v1/runs/${id}/functions/1/call`, { body: { args: [1] } });
    expect(after.status).toBe(404);
  });

  it("refuses a workspace's run past its live runs, with Retry-After, until one ends", async () => {
    const runs = await Promise.all(
      Array.from({ length: limits.liveRunsMax }, (_, i) => startRun(runBody(`many-${i}`))),
    );
    try {
      expect(runs.map((run) => run.status)).toEqual(runs.map(() => 200));
      const refused = await call("POST", `${base}/runs`, { body: runBody("one-too-many") });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("30");
      expect(refused.body.error.message).toMatch(/32 live runs on this server, the most it may/);
      runs.pop()?.close();
      await until(async () => {
        const again = await startRun(runBody("after-one-ended"));
        again.close();
        return again.status === 200;
      }, "a run to start once another ended");
    } finally {
      for (const run of runs) run.close();
    }
  });

  it("refuses an invoker and a viewer, and another token's calls", async () => {
    for (const role of ["invoker", "viewer"]) {
      const refused = await startRun(runBody(role), await tokenWithRole(role));
      expect(refused.status, role).toBe(403);
      expect(refused.text).toMatch(/cannot start ephemeral runs/);
      expect(refused.text).not.toContain(ephemeral);
    }
    const run = await startRun(runBody("owned"));
    expect(run.status, run.text).toBe(200);
    try {
      const other = await tokenWithRole("developer");
      const stranger = await call("POST", `/v1/runs/${run.id}/functions/0/call`, {
        token: other,
        body: { args: [] },
      });
      expect(stranger.status).toBe(404);
      expect(stranger.text).not.toContain(ephemeral);
      const unknown = await call("POST", `/v1/runs/run_${"x".repeat(32)}/functions/0/call`, {
        body: { args: [] },
      });
      expect(unknown.body.error.message).toBe(stranger.body.error.message);
      expect((await call("POST", `/v1/runs/${run.id}/functions/7/call`, { body: { args: [] } })).status).toBe(
        404,
      );
    } finally {
      run.close();
    }
  });

  it("checks a run's functions and values by the shared rules, never echoing a value", async () => {
    const badValue = `${ephemeral}\0`;
    const bad = await startRun({
      bundle,
      functions: [
        { index: 0, name: "show", layers: [{ kind: "inline", label: "x", values: { K: badValue } }] },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(ephemeral);
    const badName = await startRun({ bundle, functions: [{ index: 0, name: "1x", layers: [] }] });
    expect(badName.status).toBe(400);
    expect(badName.text).toMatch(/Invalid function '1x'/);
    const missing = await startRun({
      bundle,
      functions: [{ index: 0, name: "show", layers: [{ kind: "named", name: "nope" }] }],
    });
    expect(missing.status, missing.text).toBe(200);
    const called = await call("POST", `/v1/runs/${missing.id}/functions/0/call`, { body: { args: [] } });
    missing.close();
    expect(called.status).toBe(404);
    expect(called.body.error.message).toMatch(/nope/);
  });

  it("ends its runs on shutdown once their calls in flight are done", async () => {
    const before = new Set(runContainers());
    const run = await startRun(runBody("shutdown"));
    expect(run.status, run.text).toBe(200);
    const response = await fetch(`${url}/v1/runs/${run.id}/functions/1/call`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${adminToken}`,
        "content-type": "application/json",
        accept: "application/x-ndjson",
      },
      body: JSON.stringify({ args: [500] }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("started")) text += new TextDecoder().decode((await reader.read()).value);
    // The call runs: the server closes, and lets it finish before the run ends.
    closed = true;
    const closing = server.close();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);
    expect(text.trim().split("\n").at(-1)).toBe('{"result":"done"}');
    await run.ended;
    await closing;
    await lockbox.close();
    expect(runContainers().filter((pid) => !before.has(pid))).toEqual([]);
  });
});
