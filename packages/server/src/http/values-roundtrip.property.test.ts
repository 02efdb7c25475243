import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyStringValue, validKey, validValue, validValues } from "../test-support/arbitraries.js";
import { expectSameValues } from "../test-support/same-values.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

const secrets = "/v1/environments/main/secrets";
let count = 0;

describe("values over HTTP", () => {
  it("come back from reveal and JSON export exactly as they were created and updated", async () => {
    const noProto = (values: Record<string, string>) => !Object.hasOwn(values, "__proto__");
    await fc.assert(
      fc.asyncProperty(
        validValues({ value: fc.oneof(validValue, anyStringValue) }).filter(noProto),
        validValues({ maxKeys: 3 }).filter(noProto),
        async (values, set) => {
          const name = `http-${++count}`;
          const created = await server.call("POST", secrets, { body: { name, values } });
          expect(created.status).toBe(201);
          expectSameValues((await server.call("GET", `${secrets}/${name}/values`)).body.values, values);

          const updated = await server.call("PATCH", `${secrets}/${name}`, { body: { set } });
          expect(updated.status).toBe(200);
          const exported = await server.call("GET", `${secrets}/${name}/export?format=json`);
          expectSameValues(JSON.parse(exported.body.content), { ...values, ...set });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses a value the rules do not allow with a 400 that does not show it", async () => {
    const marker = "MARKED-HTTP-VALUE-1b7d";
    const bad = fc.oneof(
      validValue.map((value) => `${marker}${value}\0`),
      fc
        .integer({ min: 32_769, max: 40_000 })
        .map((length) => marker.repeat(Math.ceil(length / marker.length))),
      validValue.map((value) => ({ nested: `${marker}${value}` })),
    );
    await fc.assert(
      fc.asyncProperty(validKey, bad, async (key, value) => {
        const body = `{"name":"refused-${++count}","values":{${JSON.stringify(key)}:${JSON.stringify(value)}}}`;
        const answer = await server.call("POST", secrets, { body });
        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe("invalid");
        expect(answer.text).not.toContain(marker);
      }),
      { numRuns: 100 },
    );
  });

  it("keeps a key named __proto__ as a key", async () => {
    const body = '{"name":"proto","values":{"__proto__":"proto-value","A":"a"}}';
    const created = await server.call("POST", secrets, { body });
    expect(created.status).toBe(201);
    const revealed = await server.call("GET", `${secrets}/proto/values`);
    expectSameValues(revealed.body.values, JSON.parse('{"__proto__":"proto-value","A":"a"}'));
  });
});
