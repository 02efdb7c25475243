import { type Agent, request } from "node:http";
import fc from "fast-check";
import { sessionCookieName } from "../http/session-auth.js";

// Hostile HTTP requests for the API's fuzz test, generated from its OpenAPI document.

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface Parameter {
  in: string;
  name: string;
  schema?: JsonSchema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/** One route of the OpenAPI document: `template` has `{param}` placeholders. */
export interface FuzzRoute {
  method: string;
  template: string;
  query: string[];
  body?: JsonSchema | undefined;
}

/** A request to send; `shape` says what it was made of, never what values it held. */
export interface FuzzRequest {
  /** The route it was made for: its method and template. */
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: (() => Buffer) | undefined;
  chunked: boolean;
  shape: string;
  /** Sent on a connection of its own, which the server may close after its answer. */
  ownConnection: boolean;
}

export type FuzzAnswer = { status: number; text: string } | { status: "no answer"; text: string };

/** The routes an OpenAPI document lists, with their query parameters and body schema. */
export function routesFromOpenApi(document: {
  paths: Record<string, Record<string, Operation>>;
}): FuzzRoute[] {
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      template,
      query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
      body: operation.requestBody?.content?.["application/json"]?.schema,
    })),
  );
}

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "SEARCH"];

/** Path segments: real names, traversal, NUL, bad percent-encoding, invalid UTF-8, very long. */
const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("main", "fuzz-secret", "default", "fuzz-app") },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "..",
      ".",
      "%2e%2e",
      "..%2f..%2fetc%2fpasswd",
      "%2F",
      "a%00b",
      "%00",
      "%",
      "%zz",
      "%C3%28",
      "%FF%FE",
      "%F0%9F%98%80",
      "%ED%A0%80",
      "\u00ff\u00fe",
      "é",
      "__proto__",
      "constructor",
      "-lead",
      ".hidden",
      "a;b",
      "a:b",
      "%20",
      "",
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom(65, 101, 1000, 20_000).map((length) => "n".repeat(length)) },
);

const queryValue = fc.oneof(
  fc.constantFrom("abc", "-1", "0", "1", "1.5", "1e309", "NaN", "", "true", "maybe", "xml", "dotenv", "json"),
  fc.constantFrom(
    "2024-01-01T00:00:00Z",
    "not-a-date",
    "1BAD,,A",
    "A,B",
    "%00",
    "%ff",
    "%",
    "a".repeat(5000),
  ),
  fc.string({ unit: "binary", maxLength: 12 }).map(encodeURIComponent),
);

function query(names: readonly string[]): fc.Arbitrary<{ text: string; shape: string }> {
  const name = fc.oneof(
    fc.constantFrom(...names, "limit", "__proto__", "constructor[prototype]"),
    fc.string(),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ text: "", shape: "none" }) },
    {
      weight: 3,
      arbitrary: fc.array(fc.tuple(name, queryValue), { minLength: 1, maxLength: 4 }).map((pairs) => ({
        text: `?${pairs.map(([key, value]) => `${encodeURIComponent(key)}=${value}`).join("&")}`,
        shape: `${pairs.length} params`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("?", "?&&", "?=", "?limit", "?limit[]=1", "?a=1&a=2&a=3")
        .map((text) => ({ text, shape: "odd" })),
    },
  );
}

// Fields whose strings are secret: values (any map of strings), tokens and bundles. Other strings
// are names, which an error message may quote.
const secretFields = new Set(["token", "bundle"]);

/**
 * JSON of the schema's shape and of the wrong types, with hostile strings; the strings of secret
 * fields start with `prefix` (the marker), the others with a name-like text.
 */
function fromSchema(
  schema: JsonSchema | undefined,
  prefix: string,
  marker: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  const text = fc.string({ maxLength: 12 }).map((tail) => `${prefix}${tail}`);
  const wrong = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    text,
    fc.constantFrom(null, -1, 0, 1.5, 1e308, true, "", [], {}),
  );
  if (!schema || depth > 4) return wrong;
  const options = schema.anyOf ?? schema.oneOf;
  const right: fc.Arbitrary<unknown> = options
    ? fc.oneof(...options.map((option) => fromSchema(option, prefix, marker, depth + 1)))
    : schema.enum
      ? fc.constantFrom(...schema.enum)
      : shaped(schema, prefix, marker, depth, text);
  return fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

function shaped(
  schema: JsonSchema,
  prefix: string,
  marker: string,
  depth: number,
  text: fc.Arbitrary<string>,
) {
  const name = "fuzz-name-";
  switch (schema.type) {
    case "string":
      return fc.oneof(
        segment.map(decodeSafely),
        text,
        fc.constantFrom("A", "KEY_1", "dotenv", "viewer", "admin"),
      );
    case "integer":
    case "number":
      return fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, -1, 2 ** 53, 1e308, 2_147_483_648));
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(fromSchema(schema.items, prefix, marker, depth + 1), { maxLength: 4 });
    case "object": {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, property]) => [
          key,
          fromSchema(property, secretFields.has(key) ? marker : name, marker, depth + 1),
        ]),
      );
      const extra =
        typeof schema.additionalProperties === "object"
          ? fc.dictionary(
              fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.string()),
              fromSchema(schema.additionalProperties, marker, marker, depth + 1),
              { maxKeys: 5 },
            )
          : fc.constant({});
      return fc
        .tuple(fc.record(properties, { requiredKeys: [] }), extra)
        .map(([known, more]) => ({ ...more, ...known }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const mib = 1024 * 1024;

/** Bodies: shaped JSON, any JSON, broken JSON, invalid UTF-8, deep nesting, 10,001 keys, over 4 MiB. */
function body(
  route: FuzzRoute,
  marker: string,
): fc.Arbitrary<{ make: (() => Buffer) | undefined; shape: string; chunked: boolean }> {
  const text = (shape: string) => (source: string) => ({
    make: () => Buffer.from(source),
    shape,
    chunked: false,
  });
  const manyKeys = () => {
    const keys = Array.from({ length: 10_001 }, (_, index) => `K${index}`);
    const values = Object.fromEntries(keys.map((key) => [key, marker]));
    return JSON.stringify({
      name: "fuzz-many",
      values,
      set: values,
      unset: keys,
      secrets: keys.map((name) => ({ name, requiredKeys: keys.slice(0, 10) })),
      functions: [{ name: "f", index: 0, secrets: [], env: values }],
      bundle: marker,
    });
  };
  const huge = (bytes: number) => () =>
    Buffer.from(`{"name":"fuzz-huge","values":{"A":"${marker}${"x".repeat(bytes)}"},"bundle":"${marker}"}`);
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant({ make: undefined, shape: "none", chunked: false }) },
    {
      weight: 40,
      arbitrary: fromSchema(route.body ?? { type: "object" }, "fuzz-name-", marker)
        .map((value) => JSON.stringify(value) ?? "")
        .map(text("shaped json")),
    },
    {
      weight: 15,
      arbitrary: fc
        .anything()
        .map((value) => JSON.stringify(value) ?? "null")
        .map(text("any json")),
    },
    { weight: 10, arbitrary: fc.json().map(text("json text")) },
    {
      weight: 15,
      arbitrary: fc
        .constantFrom(
          "",
          "{",
          "[1,",
          "nul",
          "{'a':1}",
          '"unterminated',
          '{"a":1}}',
          "\ufeff{}",
          "NaN",
          "1e99999",
          '{"__proto__":{"x":1}}',
          '{"constructor":{"prototype":{"x":1}}}',
          `{"values":{"A":"${marker}"},}`,
          `${marker}`,
        )
        .map(text("broken json")),
    },
    {
      weight: 5,
      arbitrary: fc.constant({
        make: () =>
          Buffer.concat([
            Buffer.from(`{"name":"bad\u00ff`),
            Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
            Buffer.from(`","values":{"A":"${marker}`),
            Buffer.from([0xc0, 0xaf]),
            Buffer.from('"}}'),
          ]),
        shape: "invalid utf-8",
        chunked: false,
      }),
    },
    {
      weight: 5,
      arbitrary: fc.constantFrom(1_000, 100_000).map((depth) => ({
        make: () => Buffer.from(`${"[".repeat(depth)}${"]".repeat(depth)}`),
        shape: `nested ${depth}`,
        chunked: false,
      })),
    },
    {
      weight: 5,
      arbitrary: fc.constantFrom(200, 5000).map((depth) => ({
        make: () => Buffer.from(`${'{"values":'.repeat(depth)}{}${"}".repeat(depth)}`),
        shape: `nested objects ${depth}`,
        chunked: false,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ make: () => Buffer.from(manyKeys()), shape: "10,001 keys", chunked: false }),
    },
    {
      weight: 1,
      arbitrary: fc.boolean().map((chunked) => ({
        make: huge(4 * mib + 1),
        shape: `over 4 MiB${chunked ? ", chunked" : ""}`,
        chunked,
      })),
    },
  );
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "none",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=utf-16",
      "application/json; charset=latin1",
      "APPLICATION/JSON",
      "application/jsonp",
      "*/*",
      "",
      "application/json, text/plain",
      "application/octet-stream",
    ),
  },
);

/** Credentials: the admin token, none, broken ones, a session cookie that does not exist. */
function credentials(
  adminToken: string,
  marker: string,
): fc.Arbitrary<{ headers: Record<string, string>; shape: string }> {
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc.constant({ headers: { authorization: `Bearer ${adminToken}` }, shape: "admin" }),
    },
    { weight: 10, arbitrary: fc.constant({ headers: {}, shape: "none" }) },
    {
      weight: 10,
      arbitrary: fc.constantFrom(
        { headers: { authorization: `Bearer lbx_${marker}` }, shape: "unknown token" },
        { headers: { authorization: "Bearer" }, shape: "empty bearer" },
        {
          headers: { authorization: `Basic ${Buffer.from(`admin:${marker}`).toString("base64")}` },
          shape: "basic",
        },
        { headers: { authorization: `Bearer ${marker}${"x".repeat(8000)}` }, shape: "8 KB token" },
        { headers: { authorization: `Bearer ${adminToken} extra` }, shape: "token with junk" },
        {
          headers: { cookie: `${sessionCookieName}=${marker}`, "x-csrf-token": marker },
          shape: "unknown session",
        },
        { headers: { cookie: `${sessionCookieName}=`.repeat(200) }, shape: "odd cookie" },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant({
        headers: { authorization: `Bearer ${adminToken}`, "x-fuzz": "h".repeat(70_000) },
        shape: "70 KB header",
      }),
    },
  );
}

/** A hostile request to one of `routes` (or to a path no route has), sent as `adminToken` or not. */
export function fuzzRequest(
  routes: readonly FuzzRoute[],
  adminToken: string,
  marker: string,
): fc.Arbitrary<FuzzRequest> {
  // One arbitrary per route, built once: building them per request would cost more than sending it.
  const perRoute = routes.map((route) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 3, arbitrary: fc.constant(route.method) },
          { weight: 1, arbitrary: fc.constantFrom(...methods) },
        ),
        segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
        query: query(route.query),
        body: body(route, marker),
        contentType,
        credentials: credentials(adminToken, marker),
      })
      .map(({ method, segments, query, body, contentType, credentials }): FuzzRequest => {
        let index = 0;
        const path = route.template.replace(/\{[^}]+\}/g, () => segments[index++] ?? "x") + query.text;
        const headers: Record<string, string> = { ...credentials.headers };
        if (contentType !== "none") headers["content-type"] = contentType;
        // Node's parser refuses a request line and headers over 16 KiB, and raw bytes outside ASCII
        // in the URL, then drops the connection, as the server does after refusing a body over the
        // limit: such requests go on a connection of their own, not one that others reuse.
        const headBytes =
          path.length + Object.entries(headers).reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0);
        const ownConnection =
          headBytes > 12_000 || /[^\x21-\x7e]/.test(path) || body.shape.startsWith("over 4 MiB");
        return {
          // A HEAD request expects no body, which Node's answer to a refused request has.
          route: `${route.method} ${route.template}`,
          method: ownConnection && method === "HEAD" ? "GET" : method,
          path,
          headers,
          body: method === "GET" || method === "HEAD" ? undefined : body.make,
          chunked: body.chunked,
          shape: `${method} ${route.method} ${route.template} query=${query.shape} auth=${credentials.shape} type=${contentType} body=${body.shape} head=${headBytes}B`,
          ownConnection,
        };
      }),
  );
  return fc.oneof(...perRoute);
}

/** Sends one request on `agent`; an answer's text is kept up to 64 KiB. */
export function send(agent: Agent, baseUrl: string, fuzz: FuzzRequest): Promise<FuzzAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const payload = fuzz.body?.();
    const headers = { ...fuzz.headers };
    if (payload && !fuzz.chunked) headers["content-length"] = String(payload.length);
    const call = request(
      {
        agent: fuzz.ownConnection ? false : agent,
        host: url.hostname,
        port: url.port,
        method: fuzz.method,
        path: fuzz.path,
        headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        // A stream held open for as long as its caller stays (an ephemeral run's) is taken at its
        // first line, and then left, as a caller that goes away leaves it.
        const held =
          (response.statusCode ?? 0) < 300 && /ndjson/.test(response.headers["content-type"] ?? "");
        response.on("data", (chunk: Buffer) => {
          if (size < 65_536) chunks.push(chunk);
          size += chunk.length;
          if (held && chunk.includes("\n")) {
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
            call.destroy();
          }
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        response.on("error", (error) => resolve({ status: "no answer", text: error.message }));
      },
    );
    call.on("error", (error) =>
      resolve({ status: "no answer", text: (error as NodeJS.ErrnoException).code ?? error.message }),
    );
    if (payload) call.end(payload);
    else call.end();
  });
}

/** Runs `task` over `items`, `concurrency` at a time. */
export async function inPool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
