import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { findIn } from "@lockbox/server/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { argvOf, liveProcesses } from "../test-support/processes.js";
import { type CliResult, runCli, tempDir } from "../test-support/run-cli.js";

// One random canary per run, given as a KEY=VALUE argument.
const canary = `CANARY${randomBytes(16).toString("hex")}`;

/** What the stand-in server received, once a request arrived; the CLI waits until `answer`. */
interface HeldRequest {
  method: string;
  url: string;
  body: string;
  answer(): void;
}

/**
 * A stand-in for `lockbox server` that holds the first request: while the CLI waits for the
 * answer it is past its start, with its arguments parsed and the value sent.
 */
async function holdingServer(): Promise<{ url: string; request: Promise<HeldRequest>; server: Server }> {
  let arrive: (request: HeldRequest) => void = () => {};
  const request = new Promise<HeldRequest>((resolve) => {
    arrive = resolve;
  });
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () =>
      arrive({
        method: incoming.method ?? "",
        url: incoming.url ?? "",
        body: Buffer.concat(chunks).toString(),
        // Enough for either command to report success: an update's secret, a create's answer.
        answer: () => {
          const secret = { name: "leak-argv", version: 2, keys: ["TOKEN"] };
          response
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ ...secret, created: false, secret }));
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, request, server };
}

describe("a value given as an argument", () => {
  let close = async () => {};
  afterEach(() => close());

  it.each([
    ["secret", "create", "leak-argv", `TOKEN=${canary}`],
    ["secret", "update", "leak-argv", `TOKEN=${canary}`, "--unset", "OLD"],
  ])("is in no process's argv while `lockbox %s %s` runs", async (...args) => {
    const home = tempDir("lockbox-argv-");
    const stand = await holdingServer();
    close = async () => {
      stand.server.closeAllConnections();
      await new Promise((resolve) => stand.server.close(resolve));
      home.remove();
    };
    let pid = 0;
    const running = runCli(args, {
      env: {
        LOCKBOX_HOME: home.path,
        LOCKBOX_SERVER_URL: stand.url,
        LOCKBOX_TOKEN: "lbx_argv_test_token_0123456789",
      },
      onSpawn: (spawned) => {
        pid = spawned;
      },
    });
    const ended = running.then((result: CliResult) => {
      throw new Error(`lockbox ended before its request arrived:\n${result.stderr}`);
    });
    ended.catch(() => undefined); // it always ends, after the race is won too
    const request = await Promise.race([stand.request, ended]);

    // The value went where values go: the request body, not the URL.
    expect(JSON.parse(request.body)).toMatchObject(
      request.method === "POST" ? { values: { TOKEN: canary } } : { set: { TOKEN: canary } },
    );
    expect(findIn(request.url, canary)).toEqual([]);
    const processes = liveProcesses();
    const holders = processes.filter((view) => findIn(view.cmdline, canary).length > 0);
    expect(holders.map((view) => `${view.pid} ${argvOf(view)[0]}`)).toEqual([]);
    // main.ts sets the title, which overwrites the arguments: /proc/PID/cmdline shows only it.
    const cli = processes.find((view) => view.pid === pid);
    expect(cli && argvOf(cli)).toEqual(["lockbox"]);

    request.answer();
    const result = await running;
    expect(result.code).toBe(0);
    expect(findIn(result.stdout + result.stderr, canary)).toEqual([]);
  });
});
