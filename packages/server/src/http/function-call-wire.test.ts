import { spawn } from "node:child_process";
import { deserialize, serialize } from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesWith } from "../test-support/container-bundle.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

const canary = "CANARY-call-wire-42c9e0b7";
const base = "/v1/environments/main";

// Fills the registry as an SDK bundle does. `echo` gives back its arguments with the secret
// beside them; `talk` writes, then waits for `ms` before it answers.
const bundle = `
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
registry.push(async (...args) => ({ args, secret: process.env.PASSWORD, at: new Map([[process.env.PASSWORD, new Date(0)]]) }));
registry.push(async (ms) => {
  console.log("started with " + process.env.PASSWORD);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return "done";
});
registry.push(async (how) => {
  const { writeSync } = await import("node:fs");
  if (how === "internal") {
    writeSync(3, JSON.stringify({ cmd: "NODE_HANDLE_ACK" }) + "\\n");
    return "still here";
  }
  if (how === "garbage") writeSync(3, "not json\\n");
  else {
    // fd 3 is non-blocking: wait for room when it is full.
    const chunk = Buffer.alloc(65536, 120);
    for (let left = 50 * 1024 * 1024; left > 0; ) {
      try {
        left -= writeSync(3, chunk, 0, Math.min(chunk.length, left));
      } catch (error) {
        if (error.code !== "EAGAIN") throw error;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }
  await new Promise(() => {});
});
`;

let server: TestServer;

const callPath = (fn: string, app = "wire") => `${base}/apps/${app}/functions/${fn}/call`;
const post = (fn: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${server.url}${callPath(fn)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

/** The error message of an error answer. */
const errorMessage = async (response: Response) =>
  ((await response.json()) as { error: { message: string } }).error.message;

/** Live processes of this server's containers; with `spares`, those waiting for a call too. */
const containerProcesses = (spares = true) =>
  processesWith("lockbox-server-", { spares, below: process.pid });

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

beforeAll(async () => {
  server = await startTestServer();
  const created = await server.call("POST", `${base}/secrets`, {
    body: { name: "db", values: { PASSWORD: canary } },
  });
  expect(created.status).toBe(201);
  const secrets = [{ name: "db" }];
  const deployed = await server.call("POST", `${base}/apps/wire/deployments`, {
    body: {
      bundle,
      functions: [
        { name: "echo", index: 0, secrets },
        { name: "talk", index: 1, secrets, timeoutMs: 60_000 },
        { name: "attack", index: 2, secrets, timeoutMs: 60_000 },
      ],
    },
  });
  expect(deployed.status).toBe(201);
  // Its own bundle, which no container has run yet: so no spare of it is waiting either.
  const held = await server.call("POST", `${base}/apps/held/deployments`, {
    body: {
      bundle: `${bundle}\n// held`,
      functions: [{ name: "talk", index: 1, secrets, timeoutMs: 60_000 }],
    },
  });
  expect(held.status).toBe(201);
});

afterAll(async () => {
  await server?.dispose();
});

describe("the function call wire", () => {
  it("carries structured-clone arguments and results through the server as they are, masked", async () => {
    const args = [new Map([["when", new Date(5)]]), new Set([1n]), new Uint8Array([1, 2])];
    const response = await post("echo", { cloneArgs: serialize(args).toString("base64") });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain(canary);
    const answer = JSON.parse(text);
    expect(answer.result).toBeUndefined();
    const result = deserialize(Buffer.from(answer.cloneResult, "base64"));
    expect(result.args).toEqual(args);
    expect(result.secret).toBe("***");
    expect(result.at).toEqual(new Map([["***", new Date(0)]]));
  });

  it("refuses arguments that are not structured-clone data, and both forms at once", async () => {
    const garbage = await post("echo", { cloneArgs: Buffer.from("not v8 data").toString("base64") });
    expect(garbage.status).toBe(400);
    expect(await errorMessage(garbage)).toBe(
      "The arguments of function 'echo' are not structured-clone data",
    );
    const both = await post("echo", { args: [], cloneArgs: serialize([]).toString("base64") });
    expect(both.status).toBe(400);
    expect(await errorMessage(both)).toMatch(/not both/);
  });

  it("refuses arguments nested deeper than the stack goes with a 400", async () => {
    const depth = 200_000;
    const response = await fetch(`${server.url}${callPath("echo")}`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      body: `{"args":[${"[".repeat(depth)}${"]".repeat(depth)}]}`,
    });
    expect(response.status).toBe(400);
    expect(await errorMessage(response)).toMatch(/nested too deeply/);
  });

  it("refuses a JSON call whose result JSON cannot carry", async () => {
    const response = await post("echo", { args: [1] });
    expect(response.status).toBe(400);
    expect(await errorMessage(response)).toBe(
      "Function 'echo' returned a Map, which a JSON answer cannot carry",
    );
  });

  it("streams masked output while the call runs, then the result", async () => {
    const response = await post("talk", { args: [1500] }, { accept: "application/x-ndjson" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n")) text += decoder.decode((await reader.read()).value, { stream: true });
    // The output arrives while the function still waits: its result is not there yet.
    expect(JSON.parse(text.slice(0, text.indexOf("\n")))).toEqual({ stdout: "started with ***\n" });
    expect(text).not.toContain("done");
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += decoder.decode(chunk.value, { stream: true });
    const events = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.at(-1)).toEqual({ result: "done", version: 1 });
    expect(text).not.toContain(canary);
  });

  it("streams a function's failure as an error event", async () => {
    const response = await post("echo", { args: [] }, { accept: "application/x-ndjson" });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.at(-1).error).toMatchObject({ code: "invalid", message: expect.stringMatching(/Map/) });
  });

  it("stops a container that breaks its channel's protocol, and goes on serving", async () => {
    const garbage = await post("attack", { args: ["garbage"] });
    expect(garbage.status).toBe(500);
    expect(await errorMessage(garbage)).toBe(
      "Container for function 'attack' was stopped (it sent a message that is not JSON)",
    );
    const huge = await post("attack", { args: ["huge"] });
    expect(await errorMessage(huge)).toMatch(
      /^Container for function 'attack' was stopped \(it sent a message over \d+ bytes\)$/,
    );
    // Node's own internal messages mean nothing on this channel.
    const internal = await post("attack", { args: ["internal"] });
    expect(internal.status).toBe(200);
    expect(((await internal.json()) as { result: unknown }).result).toBe("still here");
    expect((await post("echo", { cloneArgs: serialize([1]).toString("base64") })).status).toBe(200);
  });

  it("stops the container of a call whose caller is killed", async () => {
    const before = new Set(containerProcesses());
    // A caller in its own process, as a user's script is, streaming the answer to its stdout.
    const caller = spawn(
      process.execPath,
      [
        "-e",
        `const response = await fetch(process.env.CALL_URL, { method: "POST", headers: { authorization: "Bearer " + process.env.CALL_TOKEN, "content-type": "application/json", accept: "application/x-ndjson" }, body: '{"args":[60000]}' });
         for await (const chunk of response.body) process.stdout.write(chunk);`,
      ],
      {
        env: { CALL_URL: `${server.url}${callPath("talk", "held")}`, CALL_TOKEN: server.adminToken },
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    // Killed once the function runs (it has written), not while its container starts.
    await new Promise<void>((resolve) =>
      caller.stdout.on("data", (chunk) => String(chunk).includes("started") && resolve()),
    );
    // The call's container is the first of its bundle, a cold start, never a spare: the
    // processes that were not there before (spares of other bundles may start meanwhile).
    const running = containerProcesses(false).filter((pid) => !before.has(pid));
    expect(running.length).toBeGreaterThan(0);
    caller.kill("SIGKILL");
    await until(
      () => running.every((pid) => !containerProcesses().includes(pid)),
      "the container of the killed caller's call to stop",
    );
  });
});
