import { writeFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDir } from "../test-support/temp-lockbox.js";
import { startTestServer, type TestServer } from "../test-support/test-server.js";

interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
interface Operation {
  parameters?: unknown[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const errorRef = "#/components/schemas/Error";

let server: TestServer;
let document: Document;
let tempDir: string;

beforeAll(async () => {
  server = await startTestServer();
  const answer = await server.call("GET", "/openapi.json", { token: null });
  expect(answer.status).toBe(200);
  document = answer.body;
  tempDir = makeTempDir("lockbox-openapi-");
});
afterAll(async () => {
  await server?.dispose();
  if (tempDir) removeTempDir(tempDir);
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );

/** The statuses `operation` answers with the shared error schema. */
const errorStatuses = (operation: Operation) =>
  Object.entries(operation.responses)
    .filter(([, response]) => response.content?.["application/json"]?.schema?.$ref === errorRef)
    .map(([status]) => Number(status));

/** What is wrong with an operation's answers: each `problem` that holds for it. */
function problems(check: (operation: Operation, route: string) => string | undefined): string[] {
  return operations().flatMap(({ route, operation }) => {
    const problem = check(operation, route);
    return problem === undefined ? [] : [`${route}: ${problem}`];
  });
}

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.0 document, as Swagger Parser validates it", async () => {
    expect(document).toMatchObject({ openapi: expect.stringMatching(/^3\.0\./) });
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    expect(operations().length).toBeGreaterThanOrEqual(29);
  });

  it("gives every operation its 4xx answers, each with the shared Error schema", () => {
    expect(
      problems((operation) =>
        errorStatuses(operation).some((status) => status >= 400 && status < 500)
          ? undefined
          : "no 4xx answer with the Error schema",
      ),
    ).toEqual([]);
    // Statuses answered with another body, or with no schema, would type nothing in a client.
    expect(
      problems((operation) => {
        const other = Object.keys(operation.responses).filter(
          (status) => Number(status) >= 400 && !errorStatuses(operation).includes(Number(status)),
        );
        return other.length === 0 ? undefined : `${other.join(", ")} without the Error schema`;
      }),
    ).toEqual([]);
  });

  it("lists 400 where input is checked, 401 where a credential is needed, 503 everywhere", () => {
    expect(
      problems((operation) => {
        const statuses = errorStatuses(operation);
        const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
        const authenticated = operation.security === undefined || operation.security.length > 0;
        if (takesInput && !statuses.includes(400)) return "takes input, no 400";
        if (authenticated && !statuses.includes(401)) return "needs a credential, no 401";
        if (!statuses.includes(503)) return "no 503";
        return undefined;
      }),
    ).toEqual([]);
  });

  it("documents every success answer with a schema, the shared shapes as named components", () => {
    expect(
      problems((operation) => {
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
        const typed =
          success.length > 0 &&
          success.every(([, response]) =>
            Object.values(response.content ?? {}).some((media) => media.schema),
          );
        return typed ? undefined : "a success answer without a schema";
      }),
    ).toEqual([]);
    const shared = [
      "Error",
      "ErrorBody",
      "SecretInfo",
      "SecretValues",
      "Token",
      "Deployment",
      "AuditEntry",
      "CallAnswer",
    ];
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(shared));
    const reveal = document.paths["/v1/environments/{environment}/secrets/{name}/values"]?.get;
    expect(reveal?.responses[200]?.content?.["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/SecretValues",
    });
  });

  it("says a call can be refused for capacity (429, with Retry-After) and at shutdown (503), and can stream", () => {
    const calls = operations().filter(({ route }) => /\/call$|\/runs$/.test(route));
    expect(calls.map(({ route }) => route).sort()).toEqual([
      "POST /v1/environments/{environment}/apps/{name}/functions/{function}/call",
      "POST /v1/environments/{environment}/runs",
      "POST /v1/runs/{run}/functions/{index}/call",
    ]);
    for (const { route, operation } of calls) {
      expect(errorStatuses(operation), route).toEqual(expect.arrayContaining([429, 503]));
      expect(operation.responses[429]?.headers, route).toHaveProperty("retry-after");
      expect(Object.keys(operation.responses[200]?.content ?? {}), route).toContain("application/x-ndjson");
    }
  });

  it("generates a client's types (openapi-typescript) that type results and errors alike", async () => {
    writeFileSync(join(tempDir, "lockbox-api.ts"), astToString(await openapiTS(document as never)));
    writeFileSync(
      join(tempDir, "usage.ts"),
      [
        'import type { components, paths } from "./lockbox-api";',
        'type Json<R> = R extends { content: { "application/json": infer B } } ? B : never;',
        'type Reveal = paths["/v1/environments/{environment}/secrets/{name}/values"]["get"]["responses"];',
        'export const values: Json<Reveal[200]>["values"] = { KEY: "value" };',
        'export const missing: Json<Reveal[404]> = { error: { code: "not_found", message: "m", requestId: "r" } };',
        "// @ts-expect-error: a code the API never answers",
        'export const wrong: Json<Reveal[404]> = { error: { code: "nope", message: "m", requestId: "r" } };',
        'export const unused: components["schemas"]["SecretInfo"]["lastUsedAt"] = null;',
      ].join("\n"),
    );
    const program = ts.createProgram([join(tempDir, "usage.ts")], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);
  });
});
