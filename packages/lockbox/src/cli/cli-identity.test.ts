import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTarget, cliModes } from "../test-support/cli-modes.js";

const create = [
  "identity",
  "create",
  "deploy",
  "--issuer",
  "https://token.actions.githubusercontent.com",
  "--audience",
  "lockbox",
  "--subject",
  "repo:acme/*:ref:refs/heads/main",
  "--claim",
  "repository_owner=acme",
  "--claim",
  "workflow=ci=yes",
  "--role",
  "viewer",
  "-e",
  "main",
  "--ttl",
  "5m",
];

describe.each(cliModes)("lockbox identity ($name mode)", (mode) => {
  let lockbox: CliTarget;

  beforeAll(async () => {
    lockbox = await mode.start();
  });
  afterAll(() => lockbox.stop());

  it("creates, lists, shows and deletes an identity", async () => {
    const created = await lockbox.run(create);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("Created identity 'deploy'");
    expect(created.stdout).toContain("Claims:      repository_owner=acme, workflow=ci=yes");
    const listed = JSON.parse((await lockbox.run(["identity", "list", "--json"])).stdout);
    expect(listed).toEqual([
      expect.objectContaining({
        name: "deploy",
        subject: "repo:acme/*:ref:refs/heads/main",
        claims: { repository_owner: "acme", workflow: "ci=yes" },
        role: "viewer",
        environment: "main",
        ttlSeconds: 300,
      }),
    ]);
    expect((await lockbox.run(["identity", "list"])).stdout).toMatch(
      /^Name +Issuer +Subject +Role +Environment +TTL\ndeploy /,
    );
    const shown = await lockbox.run(["identity", "show", "deploy", "--json"]);
    expect(JSON.parse(shown.stdout)).toEqual(listed[0]);
    expect((await lockbox.run(["identity", "show", "deploy"])).stdout).toContain("TTL:         300 s");
    expect((await lockbox.run(["identity", "delete", "deploy"])).code).toBe(2); // no terminal: --yes needed
    expect(await lockbox.run(["identity", "delete", "deploy", "--yes"])).toMatchObject({
      code: 0,
      stdout: "Deleted identity 'deploy'\n",
    });
    expect((await lockbox.run(["identity", "show", "deploy"])).code).toBe(1);
    expect(JSON.parse((await lockbox.run(["identity", "list", "--json"])).stdout)).toEqual([]);
  });

  it.each([
    [["--issuer", "http://issuer.example.com"], "must be an https URL"],
    [["--subject", "repo:**"], "'**' is not allowed"],
    [["--claim", "no-equals"], "Invalid --claim 'no-equals': give it as KEY=VALUE"],
    [["--role", "owner"], "Allowed choices are viewer, invoker, developer, admin"],
    [["--ttl", "2h"], "Expected a duration such as 90s, 15m or 1h, from 60s to 3600s"],
    [["--ttl", "30s"], "from 60s to 3600s"],
  ])("exits 2 for bad input %j", async (change, message) => {
    const args = [...create];
    const flag = args.indexOf(change[0] ?? "");
    if (flag >= 0) args.splice(flag, 2, ...change);
    const result = await lockbox.run(args);
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(2);
  });

  it("exits 2 when a required option is missing", async () => {
    const result = await lockbox.run([
      "identity",
      "create",
      "x",
      "--issuer",
      "https://i.example",
      "--role",
      "admin",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--audience");
  });
});
