import { randomBytes } from "node:crypto";
import {
  callApi,
  createDatabase,
  dropDatabase,
  makeTempDir,
  postgresUrlKey,
  removeTempDir,
} from "@lockbox/server/test-support";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { type CliServer, startCliServer } from "../../test-support/cli-server.js";
import {
  acknowledged,
  expectAcknowledgedWrites,
  sharedSecret,
  startWriteLoad,
  until,
} from "../../test-support/write-load.js";

const token = "lbx_scale_out_test_bootstrap_token";
const secrets = "/v1/environments/main/secrets";

let databaseUrl = "";
let homes: string[] = [];
let servers: CliServer[] = [];

// Two `lockbox server` processes on one empty database, started at the same moment: both
// migrate and bootstrap it at once. Same master key and bootstrap token, a home folder each.
beforeEach(async () => {
  databaseUrl = await createDatabase(inject(postgresUrlKey));
  homes = [makeTempDir("lockbox-scale-a-"), makeTempDir("lockbox-scale-b-")];
  const env = { LOCKBOX_BOOTSTRAP_TOKEN: token, LOCKBOX_MASTER_KEY: randomBytes(32).toString("base64") };
  const started = await Promise.allSettled(
    homes.map((home) => startCliServer({ ...env, LOCKBOX_HOME: home }, ["--database-url", databaseUrl])),
  );
  servers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  for (const result of started) if (result.status === "rejected") throw result.reason;
});

afterEach(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  await dropDatabase(inject(postgresUrlKey), databaseUrl);
  for (const home of homes) removeTempDir(home);
});

const instances = () => servers as [CliServer, CliServer];

async function call(server: CliServer, method: string, path: string, body?: unknown) {
  return callApi(server.url, method, `${secrets}${path}`, { token, body });
}

async function reveal(server: CliServer, name: string): Promise<Record<string, string>> {
  const answer = await call(server, "GET", `/${name}/values`);
  expect(answer.status).toBe(200);
  return answer.body.values;
}

// Fills the registry as an SDK bundle does: the deploy's label, and whether the secret arrived.
const bundle = (label: string) => `
const registry = (globalThis[Symbol.for("lockbox.functions")] ??= []);
registry.push(async () => ({ label: ${JSON.stringify(label)}, password: process.env.PASSWORD }));
`;

async function deploy(server: CliServer, label: string) {
  const answer = await callApi(server.url, "POST", "/v1/environments/main/apps/shared/deployments", {
    token,
    body: { bundle: bundle(label), functions: [{ name: "which", index: 0, secrets: [{ name: "db" }] }] },
  });
  expect(answer.status).toBe(201);
}

async function callWhich(server: CliServer) {
  const answer = await callApi(server.url, "POST", "/v1/environments/main/apps/shared/functions/which/call", {
    token,
    body: { args: [] },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

describe("two lockbox servers on one PostgreSQL database", () => {
  it("calls through one instance a function deployed through the other, and sees a redeploy", async () => {
    const [a, b] = instances();
    expect((await call(a, "POST", "", { name: "db", values: { PASSWORD: "canary-deploy" } })).status).toBe(
      201,
    );
    await deploy(a, "first");
    expect(await callWhich(b)).toMatchObject({ result: { label: "first", password: "***" }, version: 1 });
    expect(await callWhich(a)).toMatchObject({ result: { label: "first" }, version: 1 });
    await deploy(b, "second");
    // A loaded the first deploy before: its next call finds the newer one.
    expect(await callWhich(a)).toMatchObject({ result: { label: "second", password: "***" }, version: 2 });
  });

  it("reads through one instance what was written through the other", async () => {
    const [a, b] = instances();
    expect((await call(a, "POST", "", { name: "db", values: { PASSWORD: "canary-1" } })).status).toBe(201);
    expect(await reveal(b, "db")).toEqual({ PASSWORD: "canary-1" });

    const updated = await call(b, "PATCH", "/db", { set: { PASSWORD: "canary-2", USER: "canary-user" } });
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);
    expect(await reveal(a, "db")).toEqual({ PASSWORD: "canary-2", USER: "canary-user" });
  });

  it("applies 100 concurrent updates of one secret, half through each instance, without losing one", async () => {
    const [a, b] = instances();
    expect((await call(a, "POST", "", { name: sharedSecret, values: { BASE: "canary" } })).status).toBe(201);

    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(i % 2 === 0 ? a : b, "PATCH", `/${sharedSecret}`, { set: { [`K${i}`]: `canary-${i}` } }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    // Each update made its own version: none overwrote another's.
    const versions = answers.map((answer) => answer.body.version as number).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));

    const expected = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`K${i}`, `canary-${i}`]));
    for (const server of [a, b]) {
      expect(await reveal(server, sharedSecret)).toEqual({ BASE: "canary", ...expected });
      expect((await call(server, "GET", `/${sharedSecret}`)).body.version).toBe(101);
    }
  });

  it("keeps serving through one instance when the other is killed mid-load, losing no acknowledged write", async () => {
    const [a, b] = instances();
    expect(
      await acknowledged(a.url, token, "POST", secrets, { name: sharedSecret, values: { K0: "0" } }),
    ).toBe(true);

    let aAlive = true;
    // Even writes go to A while it lives, as a load balancer would send them; then all go to B.
    const load = startWriteLoad({ token, lanes: 8, urlFor: (i) => (aAlive && i % 2 === 0 ? a.url : b.url) });
    const through = (url: string) => load.acks.filter((ack) => ack.url === url);
    await until(() => through(a.url).length >= 40 && through(b.url).length >= 40);
    await a.kill();
    aAlive = false;
    load.mark();
    // B keeps acknowledging writes sent after A died.
    await until(() => through(b.url).filter((ack) => ack.afterMark).length >= 40);
    await load.stop();

    expect(through(a.url).length).toBeGreaterThanOrEqual(40);
    expect(through(b.url).filter((ack) => ack.afterMark).length).toBeGreaterThanOrEqual(40);
    await expectAcknowledgedWrites(load.acks, (name) => reveal(b, name));

    expect((await call(b, "POST", "", { name: "after", values: { V: "canary" } })).status).toBe(201);
    expect(await reveal(b, "after")).toEqual({ V: "canary" });
  });
});
