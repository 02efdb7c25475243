import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { openTempLockbox, type TempLockbox, testActor } from "../test-support/temp-lockbox.js";
import type { DeployInput } from "./app-service.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
  // The secrets `deploy` names, where it names them: a deploy of missing ones is refused.
  await box.services.environments.create(box.admin, "prod");
  await box.services.secrets.create(box.admin, { environment: "main", name: "shared", values: { A: "1" } });
  await box.services.secrets.create(box.admin, { environment: "prod", name: "db", values: { DB_URL: "x" } });
});
afterEach(() => box.dispose());

const apps = () => box.services.apps;
const deploy: DeployInput = {
  environment: "main",
  name: "example",
  bundle: "export const x = 1;",
  functions: [
    {
      name: "f",
      index: 0,
      secrets: [{ name: "shared" }, { name: "db", environment: "prod", requiredKeys: ["DB_URL"] }],
      env: { MODE: "deployed" },
      timeoutMs: 5_000,
    },
  ],
};
// Checks that reach the service without the route's schema: any shape, as a caller may send.
const withFunction = (fn: Record<string, unknown>) =>
  ({ ...deploy, functions: [{ ...deploy.functions[0], ...fn }] }) as DeployInput;

describe("createAppService", () => {
  it("keeps every deploy as a new version and serves the newest", async () => {
    expect((await apps().deploy(box.admin, deploy)).version).toBe(1);
    expect((await apps().deploy(box.admin, { ...deploy, bundle: "export const x = 2;" })).version).toBe(2);
    const latest = await apps().get(box.admin, { environment: "main", name: "example" });
    expect(latest).toMatchObject({ version: 2, bundle: "export const x = 2;", functions: deploy.functions });
    const listed = await apps().list(box.admin, { environment: "main" });
    expect(listed).toEqual([expect.objectContaining({ name: "example", version: 2 })]);
    expect(listed[0]).not.toHaveProperty("bundle");
  });

  it("answers NotFoundError for an app never deployed", async () => {
    await expect(apps().get(box.admin, { environment: "main", name: "nope" })).rejects.toThrow(
      "App 'nope' is not deployed in environment 'main'",
    );
    await expect(apps().get(box.admin, { environment: "main", name: "nope" })).rejects.toThrow(NotFoundError);
  });

  it("stores each function's secret references, env and timeout, and nothing else", async () => {
    const smuggled = withFunction({
      secrets: [{ name: "shared", values: { TOKEN: "fixture-value" } }],
      extra: "fixture-extra",
    });
    await apps().deploy(box.admin, smuggled);
    const { functions } = await apps().get(box.admin, { environment: "main", name: "example" });
    expect(functions).toEqual([
      { name: "f", index: 0, secrets: [{ name: "shared" }], env: { MODE: "deployed" }, timeoutMs: 5_000 },
    ]);
    expect(JSON.stringify(functions)).not.toContain("fixture-");
    await apps().deploy(box.admin, { ...deploy, functions: [{ name: "g", index: 1, secrets: [] }] });
    const [listed] = await apps().list(box.admin, { environment: "main" });
    expect(listed?.functions).toEqual([{ name: "g", index: 1, secrets: [] }]);
  });

  it("checks the app name, the function names and the role", async () => {
    await expect(apps().deploy(box.admin, { ...deploy, name: "bad name" })).rejects.toThrow(InvalidError);
    await expect(apps().deploy(box.admin, withFunction({ name: "not-js" }))).rejects.toThrow(InvalidError);
    await expect(apps().deploy(box.admin, withFunction({ index: -1 }))).rejects.toThrow(InvalidError);
    for (const role of ["viewer", "invoker"] as const) {
      await expect(apps().deploy(testActor(box.workspaceId, role), deploy)).rejects.toThrow(
        new PermissionDeniedError(
          `${role === "invoker" ? "An" : "A"} ${role} token cannot deploy apps; it needs the developer role`,
        ),
      );
    }
    expect((await apps().deploy(testActor(box.workspaceId, "developer"), deploy)).version).toBe(1);
  });

  it.each([
    [
      "a secret missing from the deploy's environment",
      [{ name: "shared" }, { name: "absent" }],
      "it reads secret 'absent' in environment 'main', which has no such secret",
    ],
    [
      "a secret missing from its own environment",
      [{ name: "shared", environment: "prod" }],
      "it reads secret 'shared' in environment 'prod', which has no such secret",
    ],
    [
      "a secret in an environment that does not exist",
      [{ name: "db", environment: "nowhere" }],
      "it reads secret 'db' in environment 'nowhere', which does not exist",
    ],
  ])("refuses %s, naming it, and stores nothing", async (_, secrets, message) => {
    const error = await apps()
      .deploy(box.admin, withFunction({ secrets }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(`Cannot deploy function 'f': ${message}`);
    expect(await apps().list(box.admin, { environment: "main" })).toEqual([]);
  });

  it("gives a deploy's code, files and env values to developers and admins only", async () => {
    await apps().deploy(box.admin, deploy);
    const ref = { environment: "main", name: "example" };
    for (const role of ["developer", "admin"] as const) {
      const shown = await apps().get(testActor(box.workspaceId, role), ref);
      expect(shown.bundle).toBe(deploy.bundle);
      expect(shown.files).toEqual({});
    }
    const { env: _, ...withoutEnv } = deploy.functions[0] ?? { name: "", index: 0, secrets: [] };
    for (const role of ["viewer", "invoker"] as const) {
      const actor = testActor(box.workspaceId, role);
      const shown = await apps().get(actor, ref);
      // Names, secrets' names and shape; not the code, the files or the `env` values.
      expect(shown).toMatchObject({ name: "example", version: 1 });
      expect(shown.functions).toEqual([withoutEnv]);
      expect(shown).not.toHaveProperty("bundle");
      expect(shown).not.toHaveProperty("files");
      expect((await apps().list(actor, { environment: "main" }))[0]?.functions).toEqual([withoutEnv]);
    }
    expect((await apps().list(box.admin, { environment: "main" }))[0]?.functions).toEqual(deploy.functions);
  });

  it.each([
    ["a secret name", { secrets: [{ name: "bad name" }] }, "Invalid secret name 'bad name'"],
    [
      "a secret's environment",
      { secrets: [{ name: "s", environment: "-x" }] },
      "Invalid environment name '-x'",
    ],
    ["a required key", { secrets: [{ name: "s", requiredKeys: ["1X"] }] }, "Invalid key '1X'"],
    ["secrets that are not a list", { secrets: "s" }, "its secrets must be a list"],
    ["an env key", { env: { "A B": "x" } }, "Invalid key 'A B'"],
    ["an env value", { env: { A: 5 } }, "Non-string value for secret 'A'"],
    ["a fractional timeout", { timeoutMs: 1.5 }, "`timeoutMs` must be a whole number"],
    ["a zero timeout", { timeoutMs: 0 }, "`timeoutMs` must be a whole number"],
    ["a timeout past a timer's range", { timeoutMs: 2_147_483_648 }, "`timeoutMs` must be a whole number"],
    ["a network", { network: "host" as never }, "`network` must be 'outbound' or 'none'"],
    ["a /tmp size", { tmpMb: 4097 }, "`tmpMb` must be a whole number of MiB from 1 to 4096"],
  ])("refuses %s and stores nothing", async (_, fn, message) => {
    const error = await apps()
      .deploy(box.admin, withFunction(fn))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toContain(`Cannot deploy function 'f': ${message}`);
    await expect(apps().get(box.admin, { environment: "main", name: "example" })).rejects.toThrow(
      NotFoundError,
    );
  });
});

describe("a deploy by a token limited to one environment", () => {
  const stagingDeveloper = async () => {
    await box.services.environments.create(box.admin, "staging");
    for (const name of ["db", "cache"])
      await box.services.secrets.create(box.admin, { environment: "staging", name, values: { A: "1" } });
    const { value } = await box.services.tokens.create(box.admin, {
      role: "developer",
      environment: "staging",
    });
    return box.lockbox.authenticate(value);
  };
  const inStaging = (...functions: DeployInput["functions"]): DeployInput => ({
    ...deploy,
    environment: "staging",
    functions,
  });
  const reads = (name: string, ...secrets: DeployInput["functions"][number]["secrets"]) => ({
    name,
    index: 0,
    secrets,
  });

  it("deploys functions that read only that environment's secrets", async () => {
    const actor = await stagingDeveloper();
    const own = inStaging(reads("f", { name: "db" }, { name: "cache", environment: "staging" }));
    expect((await apps().deploy(actor, own)).version).toBe(1);
  });

  it("refuses a function naming another environment's secret, with a message naming them, and stores nothing", async () => {
    const actor = await stagingDeveloper();
    await apps().deploy(box.admin, inStaging(reads("f", { name: "db" })));
    const before = await apps().list(box.admin, { environment: "staging" });
    const attempt = inStaging(
      reads("f", { name: "db" }),
      reads("leak", { name: "cache" }, { name: "db", environment: "main", requiredKeys: ["DB_URL"] }),
    );
    const error = await apps()
      .deploy(actor, attempt)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as Error).message).toBe(
      "Cannot deploy function 'leak': it reads secret 'db' in environment 'main', and this token is limited to environment 'staging'",
    );
    expect(await apps().list(box.admin, { environment: "staging" })).toEqual(before);
    expect(await apps().list(box.admin, { environment: "main" })).toEqual([]);
  });

  it("refuses a deploy to another environment, whatever its functions read", async () => {
    const actor = await stagingDeveloper();
    const toMain = { ...inStaging(reads("f", { name: "db", environment: "staging" })), environment: "main" };
    await expect(apps().deploy(actor, toMain)).rejects.toThrow(
      "This token is limited to environment 'staging': it cannot act in 'main'",
    );
    expect(await apps().list(box.admin, { environment: "main" })).toEqual([]);
  });
});
