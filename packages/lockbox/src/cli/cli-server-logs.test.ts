import { afterAll, describe, expect, it } from "vitest";
import { type CliServer, startCliServer } from "../test-support/cli-server.js";
import { runCli, tempDir } from "../test-support/run-cli.js";

const bootstrapToken = "lbx_CANARY-logs-bootstrap-5d1e0c";
const wrongToken = "lbx_CANARY-logs-wrong-77af02";
const value = "CANARY-logs-value-3b9e41";
const cursor = "CANARY-logs-cursor-9d27c4";
const pretty = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/;

/**
 * A secret written through the server, a request with a wrong token (and a query string, which no
 * line may show), and the log line of each.
 */
async function useServer(server: CliServer, home: string): Promise<void> {
  const env = { LOCKBOX_HOME: home, LOCKBOX_SERVER_URL: server.url, LOCKBOX_TOKEN: bootstrapToken };
  expect((await runCli(["secret", "create", "logged", `KEY=${value}`, "--force"], { env })).code).toBe(0);
  const wrong = await fetch(`${server.url}/v1/environments?cursor=${cursor}`, {
    headers: { authorization: `Bearer ${wrongToken}` },
  });
  expect(wrong.status).toBe(401);
  await server.waitForOutput(/request completed.*401|"statusCode":401/);
}

/**
 * The output's lines other than the sign-in banner (whole, from its first line to its dashboard
 * line), the first being the one that says where the server listens: printed before the banner.
 */
function logLines(output: string, url: string): string[] {
  const banner = new RegExp(`^Lockbox listening on ${url}\\n(.*\\n)*?or open the dashboard at .*\\n`, "m");
  const bannerAt = output.search(banner);
  expect(bannerAt).toBeGreaterThan(0);
  expect(output.slice(0, bannerAt)).toContain(`Server listening at ${url}`);
  return output
    .replace(banner, "")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("Received SIGTERM"));
}

function expectNoCredentials(output: string): void {
  for (const material of [bootstrapToken, wrongToken, value, cursor, "CANARY"])
    expect(output).not.toContain(material);
}

describe("lockbox server's log lines", () => {
  const home = tempDir("lockbox-logs-");
  const env = { LOCKBOX_HOME: home.path, LOCKBOX_BOOTSTRAP_TOKEN: bootstrapToken };
  afterAll(() => home.remove());

  it("are JSON on a pipe, each on a line of its own apart from the banner", async () => {
    const server = await startCliServer(env);
    await useServer(server, home.path);
    expect(await server.stop()).toBe(0);
    const lines = logLines(server.output(), server.url);
    const entries = lines.map(
      (line) => JSON.parse(line) as { msg: string; req?: { route: string }; res?: { statusCode: number } },
    );
    expect(entries[0]?.msg).toBe(`Server listening at ${server.url}`);
    expect(entries.find((entry) => entry.res?.statusCode === 401)).toMatchObject({
      msg: "request completed",
      req: { method: "GET", route: "/v1/environments" },
    });
    expectNoCredentials(server.output());
  });

  it("are readable lines on a terminal: time, level, message and the request's fields", async () => {
    const server = await startCliServer(env, [], { terminal: true });
    await useServer(server, home.path);
    expect(await server.stop()).toBe(0);
    const output = server.output();
    const lines = logLines(output, server.url);
    expect(lines[0]).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Server listening at ${server.url}$`),
    );
    for (const line of lines) expect(line).toMatch(pretty);
    expect(output).toMatch(
      / INFO {2}incoming request reqId=[\w-]+ method=POST route=\/v1\/environments\/:environment\/secrets$/m,
    );
    expect(output).toMatch(
      / INFO {2}request completed reqId=[\w-]+ method=GET route=\/v1\/environments statusCode=401 responseTime=\d+\.\dms$/m,
    );
    expect(output).not.toContain('"level"');
    expectNoCredentials(output);
  });

  it("are JSON on a terminal with --log-format json, and readable on a pipe with LOCKBOX_LOG_FORMAT=pretty", async () => {
    const json = await startCliServer(env, ["--log-format", "json"], { terminal: true });
    expect(await json.stop()).toBe(0);
    expect(JSON.parse(logLines(json.output(), json.url)[0] ?? "")).toMatchObject({ level: 30 });

    const prettyOnPipe = await startCliServer({ ...env, LOCKBOX_LOG_FORMAT: "pretty" });
    expect(await prettyOnPipe.stop()).toBe(0);
    expect(logLines(prettyOnPipe.output(), prettyOnPipe.url)[0]).toMatch(pretty);
  });

  it.each([
    ["--log-format xml", ["--log-format", "xml"], {}, "--log-format"],
    ["LOCKBOX_LOG_FORMAT=xml", [], { LOCKBOX_LOG_FORMAT: "xml" }, "LOCKBOX_LOG_FORMAT"],
  ])("exits 2 for %s, naming pretty and json", async (_, args, extra, named) => {
    const result = await runCli(["server", "--port", "0", ...args], { env: { ...env, ...extra } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Error: Invalid configuration: ${named} must be pretty or json\n`);
    expect(result.stdout).toBe("");
  });
});
