import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRun, type StartedTestRun } from "../test-support/run-stream.js";
import { openRawDatabase } from "../test-support/test-database.js";
import {
  type ApiAnswer,
  type CallOptions,
  callApi,
  startTestServer,
  type TestServer,
} from "../test-support/test-server.js";
import { sessionCookieName } from "./session-auth.js";

// DESIGN §7, route by route: a token of one workspace reads nothing of another, a viewer sees
// names and never values, an invoker calls functions that use values and never reads one, and
// expired and revoked credentials are refused at the next request.
// Workspace A is `default`; B is a second workspace whose admin (the "intruder") aims at A's objects.

const hex = () => randomBytes(6).toString("hex");
const run = hex();
const canary = { alpha: `CANARY-ALPHA-${run}`, bravo: `CANARY-BRAVO-${run}`, sent: `CANARY-SENT-${run}` };
const alphaKey = `ALPHA_KEY_${run}`;
const bravoKey = `BRAVO_KEY_${run}`;
const past = "2001-01-01T00:00:00.000Z";

/** Credentials every authenticated route refuses with 401 `unauthenticated`. */
const refusedIdentities = ["none", "malformed", "unknown", "expired", "revoked"] as const;
/** B's admin, then A's viewer, invoker, developer and admin (the bootstrap token). */
const validIdentities = ["intruder", "viewer", "invoker", "developer", "owner"] as const;
const identities = [...refusedIdentities, ...validIdentities];
type Identity = (typeof identities)[number];
type Valid = (typeof validIdentities)[number];
const membersOfA = new Set<Identity>(["viewer", "invoker", "developer", "owner"]);
const transports = ["bearer", "session"] as const;
type Transport = (typeof transports)[number];

/** What one workspace must never see of the other (value → label: labels are printed, values never). */
const alphaNames = new Map<string, string>([[alphaKey, "A's key name"]]);
const bravoNames = new Map<string, string>([[bravoKey, "B's key name"]]);
const tokenValues = new Map<string, string>();
/** A's names that B gave objects of its own (aimed at A's to compare): B may see them since. */
const ownedByIntruder = new Set<string>();

interface Fixture {
  bearer: Record<Identity, string | null>;
  aOnly: string;
  aSecret: string;
  shared: string;
  bravoSecret: string;
  bravoWorkspace: string;
}

let server: TestServer;
let fx: Fixture;

const as = (token: string | null, method: string, path: string, body?: unknown) =>
  callApi(server.url, method, path, { token, ...(body === undefined ? {} : { body }) });

// biome-ignore lint/suspicious/noExplicitAny: reads whatever the route answers
async function made(token: string, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await as(token, method, path, body);
  if (answer.status >= 300)
    throw new Error(`${method} ${path}: ${answer.status} ${answer.body?.error?.code}`);
  return answer.body;
}

const secretsIn = (environment: string) => `/v1/environments/${environment}/secrets`;

async function newSecret(
  token: string,
  environment: string,
  name: string,
  key = alphaKey,
  value = canary.alpha,
) {
  await made(token, "POST", secretsIn(environment), { name, values: { [key]: value } });
}

async function newToken(role: string, label: string, extra: object = {}) {
  const name = `alpha-${label}-${hex()}`;
  const { token, value } = await made(server.adminToken, "POST", "/v1/tokens", { role, name, ...extra });
  alphaNames.set(name, `name of A's ${label} token`);
  alphaNames.set(token.id, `id of A's ${label} token`);
  tokenValues.set(value, `A's ${label} token`);
  return { id: token.id as string, value: value as string };
}

async function expireToken(id: string) {
  const db = openRawDatabase(server.dataDir);
  try {
    await db.updateTable("tokens").set({ expires_at: past }).where("id", "=", id).execute();
  } finally {
    await db.destroy();
  }
}

/** A dashboard session of `token`: its cookie and CSRF header. */
async function signIn(token: string): Promise<CallOptions> {
  const answer = await callApi(server.url, "POST", "/v1/sessions", { body: { token } });
  const cookie = answer.headers.get("set-cookie")?.match(new RegExp(`${sessionCookieName}=([^;]+)`))?.[1];
  if (answer.status !== 201 || !cookie) throw new Error(`sign-in: ${answer.status}`);
  return {
    token: null,
    headers: { cookie: `${sessionCookieName}=${cookie}`, "x-csrf-token": answer.body.csrfToken },
  };
}

const withCookie = (value: string): CallOptions => ({
  token: null,
  headers: { cookie: `${sessionCookieName}=${value}` },
});

/** The credentials `who` sends: a bearer header, or a session cookie (with its CSRF token). */
async function credentialsFor(who: Identity, transport: Transport): Promise<CallOptions> {
  if (transport === "bearer" || who === "none") return { token: fx.bearer[who] };
  switch (who) {
    case "malformed":
      return withCookie("%%not-a-session%%");
    case "unknown":
      return withCookie(randomBytes(32).toString("base64url"));
    case "expired": {
      // A session signed in while its token was valid; the token expires before the request.
      const token = await newToken("admin", "expiring");
      const session = await signIn(token.value);
      await expireToken(token.id);
      return session;
    }
    case "revoked": {
      const token = await newToken("admin", "revoking");
      const session = await signIn(token.value);
      await made(server.adminToken, "DELETE", `/v1/tokens/${token.id}`);
      return session;
    }
    default:
      return signIn(fx.bearer[who] ?? "");
  }
}

type AimKind = "A's in main" | "nobody's in main" | "A's in A's environment" | "nobody's environment";

/**
 * What a request names: A's objects (made for this one request, checked afterwards) or names
 * nobody has. B's admin must get the same answer for both.
 */
interface Aim {
  kind: AimKind;
  environment: string;
  workspace: string;
  secret(): Promise<string>;
  app(): Promise<string>;
  environmentName(): Promise<string>;
  tokenId(): Promise<string>;
  identity(): Promise<string>;
  /** Each name the request holds and its placeholder, to compare answers across aims. */
  placeholders: Map<string, string>;
  /** Whatever of A's this aim made and is no longer as made. */
  untouched(): Promise<string[]>;
}

const deployBody = {
  // Fills the registry as an SDK bundle does, so a call through the server runs it.
  bundle: '(globalThis[Symbol.for("lockbox.functions")] ??= []).push(() => 1);',
  functions: [{ name: "run", index: 0, secrets: [] }],
};

/** A's deploys: a function that returns the value of A's secret, which every answer must mask. */
const usingSecret = () => ({
  bundle: `(globalThis[Symbol.for("lockbox.functions")] ??= []).push(() => process.env[${JSON.stringify(alphaKey)}]);`,
  functions: [{ name: "run", index: 0, secrets: [{ name: fx.aSecret, environment: "main" }] }],
});

const identityBody = {
  issuer: "https://token.actions.githubusercontent.com",
  audience: "lockbox",
  subject: "repo:alpha/app:ref:refs/heads/main",
  role: "viewer",
};

function aimAt(kind: AimKind): Aim {
  const ofA = kind.startsWith("A's");
  const environment =
    kind === "A's in A's environment"
      ? fx.aOnly
      : kind === "nobody's environment"
        ? `nowhere-${hex()}`
        : "main";
  const placeholders = new Map<string, string>();
  if (environment !== "main") placeholders.set(environment, "<environment>");
  const checks: (() => Promise<string | undefined>)[] = [];
  const name = (label: string) => {
    const value = `${ofA ? "alpha" : "nobody"}-${label}-${hex()}`;
    placeholders.set(value, `<${label}>`);
    if (ofA) alphaNames.set(value, `A's ${label} name`);
    return value;
  };
  const workspace = ofA ? "default" : `nowhere-${hex()}`;
  placeholders.set(workspace, "<workspace>");
  const owner = server.adminToken;
  return {
    kind,
    environment,
    workspace,
    placeholders,
    async secret() {
      const secret = name("secret");
      if (!ofA) return secret;
      await newSecret(owner, environment, secret);
      checks.push(async () => {
        const read = await as(owner, "GET", `${secretsIn(environment)}/${secret}/values`);
        const intact =
          read.body?.version === 1 && isDeepStrictEqual(read.body.values, { [alphaKey]: canary.alpha });
        return intact ? undefined : `A's secret changed or gone (${read.status})`;
      });
      return secret;
    },
    async app() {
      const app = name("app");
      if (!ofA) return app;
      for (const _ of [1, 2])
        await made(owner, "POST", `/v1/environments/${environment}/apps/${app}/deployments`, usingSecret());
      checks.push(async () => {
        const read = await as(owner, "GET", `/v1/environments/${environment}/apps/${app}`);
        return read.body?.version === 2 ? undefined : `A's app changed or gone (${read.status})`;
      });
      return app;
    },
    async environmentName() {
      const created = name("env");
      if (!ofA) return created;
      await made(owner, "POST", "/v1/environments", { name: created });
      checks.push(async () => {
        const list = await made(owner, "GET", "/v1/environments");
        return list.environments.some((e: { name: string }) => e.name === created)
          ? undefined
          : "A's environment gone";
      });
      return created;
    },
    async tokenId() {
      if (!ofA) {
        const id = `tk-${hex()}${hex()}`;
        placeholders.set(id, "<token-id>");
        return id;
      }
      const token = await newToken("viewer", "target");
      placeholders.set(token.id, "<token-id>");
      checks.push(async () => {
        const use = await as(token.value, "GET", "/v1/environments");
        return use.status === 200 ? undefined : `A's token stopped working (${use.status})`;
      });
      return token.id;
    },
    async identity() {
      const identity = name("identity");
      if (!ofA) return identity;
      await made(owner, "POST", "/v1/identities", { ...identityBody, name: identity });
      checks.push(async () => {
        const read = await as(owner, "GET", `/v1/identities/${identity}`);
        return read.body?.subject === identityBody.subject
          ? undefined
          : `A's identity changed or gone (${read.status})`;
      });
      return identity;
    },
    async untouched() {
      const found = await Promise.all(checks.map((check) => check()));
      return found.filter((problem): problem is string => problem !== undefined);
    },
  };
}

interface Request {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}

interface RouteCase {
  /** Method and path as the OpenAPI document names them. */
  route: string;
  /** Another request to a route that has its own case already. */
  variant?: string;
  /** The request, aimed at `aim`'s objects. */
  request?(aim: Aim): Promise<Request>;
  /** Each valid identity's status, aimed at A's objects in `main`. */
  expect: Record<Valid, number>;
  /** Its 2xx answers to A's developer and admin hold values. */
  reveals?: boolean;
  /** It serves dashboard sessions only: any bearer token gets 401. */
  sessionOnly?: boolean;
  /** It creates what it names: once B made it, the name is B's own too. */
  creates?: boolean;
  /** A problem with a 2xx answer, if any. */
  check?(answer: ApiAnswer, who: Valid): string | undefined;
}

const everyone = (status: number): Record<Valid, number> => ({
  intruder: status,
  viewer: status,
  invoker: status,
  developer: status,
  owner: status,
});
/** A's members read it; B's admin finds nothing. */
const readable: Record<Valid, number> = { ...everyone(200), intruder: 404 };
/** It reads values or changes A's object: developers and admins of A only. */
const forDevelopers = (status: number): Record<Valid, number> => ({
  intruder: 404,
  viewer: 403,
  invoker: 403,
  developer: status,
  owner: status,
});
/** Admins only; B's admin gets `intruder` (its own workspace's answer, or a refusal). */
const forAdmins = (status: number, intruder: number): Record<Valid, number> => ({
  intruder,
  viewer: 403,
  invoker: 403,
  developer: 403,
  owner: status,
});

// An ephemeral run's code: its one function answers "ran".
const runBundle = `(globalThis[Symbol.for("lockbox.functions")] ??= []).push(async () => "ran");`;
let heldRun: StartedTestRun;

const secrets = "/v1/environments/{environment}/secrets";
const secret = `${secrets}/{name}`;
const app = "/v1/environments/{environment}/apps/{name}";
const inEnvironment = async (aim: Aim): Promise<Request> => ({ params: { environment: aim.environment } });
const onSecret =
  (rest: Omit<Request, "params"> = {}) =>
  async (aim: Aim): Promise<Request> => ({
    params: { environment: aim.environment, name: await aim.secret() },
    ...rest,
  });
const secretList = async (aim: Aim): Promise<Request> => ({
  params: { environment: aim.environment },
  body: { secrets: [{ name: await aim.secret() }] },
});
const problemUnless = (ok: boolean, problem: string) => (ok ? undefined : problem);
const ofMembers = (who: Valid, ok: () => boolean, problem: string) =>
  who === "intruder" ? undefined : problemUnless(ok(), problem);

const routeCases: RouteCase[] = [
  {
    route: "GET /v1/session",
    sessionOnly: true,
    expect: everyone(200),
    check: (answer, who) =>
      problemUnless(
        answer.body.actor?.workspace === (who === "intruder" ? fx.bravoWorkspace : "default"),
        "the session's workspace",
      ),
  },
  { route: "DELETE /v1/session", sessionOnly: true, expect: everyone(200) },
  {
    route: `GET ${secrets}`,
    request: inEnvironment,
    expect: everyone(200),
    check: (answer, who) => ofMembers(who, () => answer.text.includes(alphaKey), "A's keys not listed"),
  },
  {
    route: `POST ${secrets}`,
    creates: true,
    request: async (aim) => ({
      params: { environment: aim.environment },
      body: { name: await aim.secret(), values: { SENT: canary.sent } },
    }),
    // The name is taken in A, not in B.
    expect: { intruder: 201, viewer: 403, invoker: 403, developer: 409, owner: 409 },
  },
  {
    route: `GET ${secret}`,
    request: onSecret(),
    expect: readable,
    check: (answer, who) => ofMembers(who, () => isDeepStrictEqual(answer.body.keys, [alphaKey]), "keys"),
  },
  {
    route: `PATCH ${secret}`,
    request: onSecret({ body: { set: { SENT: canary.sent }, ifVersion: 1 } }),
    expect: forDevelopers(200),
  },
  { route: `DELETE ${secret}`, request: onSecret(), expect: forDevelopers(200) },
  {
    route: `GET ${secret}/values`,
    request: onSecret(),
    expect: forDevelopers(200),
    reveals: true,
    check: (answer) => problemUnless(answer.body.values?.[alphaKey] === canary.alpha, "values"),
  },
  {
    route: `GET ${secret}/export`,
    request: onSecret({ query: "format=json" }),
    expect: forDevelopers(200),
    reveals: true,
    check: (answer) => problemUnless(String(answer.body.content).includes(canary.alpha), "export"),
  },
  { route: `GET ${secret}/history`, request: onSecret(), expect: readable },
  {
    route: `POST ${secret}/rollback`,
    request: onSecret({ body: { version: 1 } }),
    expect: forDevelopers(200),
  },
  {
    route: "POST /v1/environments/{environment}/resolve",
    request: secretList,
    expect: forDevelopers(200),
    reveals: true,
    check: (answer) => problemUnless(answer.body.secrets?.[0]?.values?.[alphaKey] === canary.alpha, "values"),
  },
  {
    // What a developer's own container start reads, at a pinned version.
    route: "POST /v1/environments/{environment}/resolve",
    variant: "for a container",
    request: async (aim) => ({
      params: { environment: aim.environment },
      body: { use: "container", secrets: [{ name: await aim.secret(), version: 1 }] },
    }),
    expect: forDevelopers(200),
    reveals: true,
    check: (answer) => problemUnless(answer.body.secrets?.[0]?.values?.[alphaKey] === canary.alpha, "values"),
  },
  { route: "GET /v1/environments/{environment}/apps", request: inEnvironment, expect: everyone(200) },
  {
    route: `GET ${app}`,
    request: async (aim) => ({ params: { environment: aim.environment, name: await aim.app() } }),
    expect: readable,
    // The code goes to those who may run it themselves.
    check: (answer, who) =>
      who === "intruder"
        ? undefined
        : problemUnless(
            (typeof answer.body.bundle === "string") === (who === "developer" || who === "owner"),
            "the deploy's code shown to the wrong role",
          ),
  },
  {
    route: `GET ${app}/head`,
    request: async (aim) => ({ params: { environment: aim.environment, name: await aim.app() } }),
    expect: readable,
    check: (answer, who) =>
      who === "intruder"
        ? undefined
        : problemUnless(answer.body.version === 2, "the newest deploy's version"),
  },
  {
    route: `POST ${app}/deployments`,
    creates: true,
    request: async (aim) => ({
      params: { environment: aim.environment, name: await aim.app() },
      body: deployBody,
    }),
    expect: { ...forDevelopers(201), intruder: 201 },
    // B's first deploy of the name, whatever A has deployed under it.
    check: (answer, who) => problemUnless(answer.body.version === (who === "intruder" ? 1 : 3), "version"),
  },
  {
    // Runs in a container on the server, which reads A's secret for the caller: an invoker may
    // call, and its answer (like everyone's) holds the value masked, never the value.
    route: `POST ${app}/functions/{function}/call`,
    request: async (aim) => ({
      params: { environment: aim.environment, name: await aim.app(), function: "run" },
      body: { args: [] },
    }),
    expect: { ...forDevelopers(200), invoker: 200 },
    check: (answer) => problemUnless(answer.body.result === "***", "the function's masked result"),
  },
  {
    // A started run's answer is a stream held open for its life (ephemeral-runs.test.ts): here a
    // body refused after the role and environment checks, two functions at one index.
    route: "POST /v1/environments/{environment}/runs",
    request: async (aim) => ({
      params: { environment: aim.environment },
      body: {
        bundle: runBundle,
        functions: [
          { index: 0, name: "run", layers: [] },
          { index: 0, name: "again", layers: [] },
        ],
      },
    }),
    expect: { ...forDevelopers(400), intruder: 400 },
  },
  {
    // A run belongs to the token that started it (A's developer): any other gets 404.
    route: "POST /v1/runs/{run}/functions/{index}/call",
    request: async () => ({ params: { run: heldRun.id, index: "0" }, body: { args: [] } }),
    expect: { ...everyone(404), developer: 200 },
    check: (answer) => problemUnless(answer.body.result === "ran", "the run's result"),
  },
  {
    route: "GET /v1/environments",
    expect: everyone(200),
    check: (answer, who) =>
      ofMembers(who, () => answer.text.includes(fx.aOnly), "A's environments not listed"),
  },
  {
    route: "POST /v1/environments",
    creates: true,
    request: async (aim) => ({ body: { name: await aim.environmentName() } }),
    expect: forAdmins(409, 201),
  },
  {
    route: "DELETE /v1/environments/{environment}",
    request: async (aim) => ({ params: { environment: await aim.environmentName() } }),
    expect: forAdmins(200, 404),
  },
  {
    route: "GET /v1/workspaces",
    expect: everyone(200),
    // Only the bootstrap admin (A's owner, who made B) sees every workspace.
    check: (answer, who) => {
      const names = answer.body.workspaces.map((w: { name: string }) => w.name).sort();
      const own = who === "intruder" ? [fx.bravoWorkspace] : ["default"];
      const expected = who === "owner" ? [fx.bravoWorkspace, "default"].sort() : own;
      return problemUnless(isDeepStrictEqual(names, expected), "workspaces listed");
    },
  },
  {
    route: "POST /v1/workspaces",
    request: async (aim) => ({ body: { name: aim.workspace } }),
    expect: forAdmins(409, 403),
  },
  { route: "GET /v1/tokens", expect: forAdmins(200, 200) },
  {
    route: "POST /v1/tokens",
    request: async (aim) => ({ body: { role: "viewer", name: "matrix", workspace: aim.workspace } }),
    expect: forAdmins(201, 403),
  },
  {
    route: "DELETE /v1/tokens/{id}",
    request: async (aim) => ({ params: { id: await aim.tokenId() } }),
    expect: forAdmins(200, 404),
  },
  { route: "GET /v1/identities", expect: forAdmins(200, 200) },
  {
    route: "POST /v1/identities",
    creates: true,
    request: async (aim) => ({ body: { ...identityBody, name: await aim.identity() } }),
    // The name is taken in A, not in B.
    expect: forAdmins(409, 201),
  },
  {
    route: "GET /v1/identities/{name}",
    request: async (aim) => ({ params: { name: await aim.identity() } }),
    expect: forAdmins(200, 404),
    check: (answer) => problemUnless(answer.body.subject === identityBody.subject, "the identity's subject"),
  },
  {
    route: "DELETE /v1/identities/{name}",
    request: async (aim) => ({ params: { name: await aim.identity() } }),
    expect: forAdmins(200, 404),
  },
  { route: "GET /v1/audit", expect: forAdmins(200, 200) },
  { route: "GET /v1/audit/verify", expect: forAdmins(200, 200) },
];

const signInRoute = "POST /v1/sessions";
/** Takes a platform's JWT, never a Lockbox credential (oidc-exchange.test.ts covers the JWTs). */
const oidcRoute = "POST /v1/auth/oidc";
/** Served to anyone by design (the dashboard is `GET /*`): no rows in the matrix. */
const publicRoutes = [
  "GET /healthz",
  "GET /readyz",
  "GET /openapi.json",
  // Functions' identity tokens are verified with these by anyone (a cloud provider): public keys only.
  "GET /.well-known/openid-configuration",
  "GET /.well-known/jwks.json",
  "GET /*",
];

const codeByStatus: Record<number, string> = {
  400: "invalid",
  401: "unauthenticated",
  403: "permission_denied",
  404: "not_found",
  409: "already_exists",
};

function errorShapeProblem(answer: ApiAnswer): string | undefined {
  const { body } = answer;
  const error = body?.error;
  const exact =
    isDeepStrictEqual(Object.keys(body ?? {}), ["error"]) &&
    isDeepStrictEqual(Object.keys(error ?? {}).sort(), ["code", "message", "requestId"]) &&
    error.code === codeByStatus[answer.status] &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(error.requestId);
  return exact ? undefined : "not the error body { error: { code, message, requestId } } of its status";
}

/** Labels of what `answer` holds and `who` must not see; `reads`: whose values it may hold. */
function leaks(answer: ApiAnswer, who: Identity, sent: string, reads?: "alpha" | "bravo"): string[] {
  const text = answer.text + JSON.stringify([...answer.headers]);
  const found = [...tokenValues].filter(([value]) => text.includes(value)).map(([, label]) => label);
  if (text.includes(canary.sent)) found.push("a value the request sent");
  if (reads !== "alpha" && text.includes(canary.alpha)) found.push("A's values");
  if (reads !== "bravo" && text.includes(canary.bravo)) found.push("B's values");
  if (!membersOfA.has(who)) {
    for (const [value, label] of alphaNames) {
      if (text.includes(value) && !sent.includes(value) && !ownedByIntruder.has(value)) found.push(label);
    }
  }
  if (who !== "intruder") {
    for (const [value, label] of bravoNames) if (text.includes(value)) found.push(label);
  }
  return found;
}

function expectedStatus(routeCase: RouteCase, who: Identity, transport: Transport, aim: Aim): number {
  if (!(validIdentities as readonly string[]).includes(who)) return 401;
  if (routeCase.sessionOnly && transport === "bearer") return 401;
  if (aim.environment !== "main" && routeCase.route.includes("{environment}")) return 404;
  return routeCase.expect[who as Valid];
}

/** An answer with A's and nobody's names alike: what must not differ between them. */
function comparable(answer: ApiAnswer, aim: Aim): string {
  if (answer.status < 300) return String(answer.status);
  let message = String(answer.body?.error?.message);
  for (const [value, placeholder] of aim.placeholders) message = message.replaceAll(value, placeholder);
  return `${answer.status} ${answer.body?.error?.code}: ${message}`;
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(params[key] ?? `{${key}}`));
}

/** Calls the route as every identity; the problems found, none printing a secret. */
async function checkRoute(routeCase: RouteCase, transport: Transport): Promise<string[]> {
  const [method = "", template = ""] = routeCase.route.split(" ");
  const problems: string[] = [];
  for (const who of identities) {
    const kinds: AimKind[] =
      who !== "intruder"
        ? ["A's in main"]
        : template.includes("{environment}")
          ? ["A's in main", "nobody's in main", "A's in A's environment", "nobody's environment"]
          : ["A's in main", "nobody's in main"];
    const compared: string[] = [];
    for (const kind of kinds) {
      const aim = aimAt(kind);
      const request = (await routeCase.request?.(aim)) ?? {};
      const path = fill(template, request.params ?? {}) + (request.query ? `?${request.query}` : "");
      const options = { ...(await credentialsFor(who, transport)), body: request.body };
      const answer = await callApi(server.url, method, path, options);
      const label = `${transport} ${who}${kind === "A's in main" ? "" : ` aiming at ${kind}`}`;
      const expected = expectedStatus(routeCase, who, transport, aim);
      if (answer.status !== expected) {
        problems.push(`${label}: ${answer.status} ${answer.body?.error?.code ?? ""}, expected ${expected}`);
      }
      const success = answer.status < 300;
      const error = success ? undefined : errorShapeProblem(answer);
      if (error) problems.push(`${label}: ${error}`);
      const mayRead = routeCase.reveals && success && (who === "developer" || who === "owner");
      const sent = path + JSON.stringify(request.body ?? null);
      for (const leak of leaks(answer, who, sent, mayRead ? "alpha" : undefined)) {
        problems.push(`${label}: the answer holds ${leak}`);
      }
      const extra =
        success && answer.status === expected ? routeCase.check?.(answer, who as Valid) : undefined;
      if (extra) problems.push(`${label}: ${extra}`);
      if (!(success && (who === "developer" || who === "owner"))) {
        for (const change of await aim.untouched()) problems.push(`${label}: ${change}`);
      }
      if (who === "intruder" && success && routeCase.creates) {
        for (const name of aim.placeholders.keys()) ownedByIntruder.add(name);
      }
      compared.push(comparable(answer, aim));
    }
    for (let i = 0; i + 1 < compared.length; i += 2) {
      if (compared[i] !== compared[i + 1]) {
        problems.push(
          `${transport} intruder: ${kinds[i]} "${compared[i]}" ≠ ${kinds[i + 1]} "${compared[i + 1]}"`,
        );
      }
    }
  }
  return problems;
}

beforeAll(async () => {
  // Thousands of refused tokens from one address: none may be answered 429 instead.
  server = await startTestServer({
    maxFailedAuthentications: 1_000_000,
    maxFailedAuthenticationsPerWorkspace: 1_000_000,
  });
  const owner = server.adminToken;
  tokenValues.set(owner, "A's admin token");
  const viewer = await newToken("viewer", "viewer");
  const invoker = await newToken("invoker", "invoker");
  const developer = await newToken("developer", "developer");
  const expired = await newToken("admin", "expired");
  const revoked = await newToken("admin", "revoked");

  const aOnly = `alpha-env-${hex()}`;
  alphaNames.set(aOnly, "A's environment name");
  await made(owner, "POST", "/v1/environments", { name: aOnly });
  const aSecret = `alpha-secret-${hex()}`;
  alphaNames.set(aSecret, "A's secret name");
  await newSecret(owner, "main", aSecret);
  await newSecret(owner, aOnly, `alpha-secret-${hex()}`);
  // One name in both workspaces, with each workspace's values.
  const shared = `shared-${hex()}`;
  await newSecret(owner, "main", shared);

  const bravoWorkspace = `bravo-${hex()}`;
  const { adminToken: intruder } = await made(owner, "POST", "/v1/workspaces", { name: bravoWorkspace });
  tokenValues.set(intruder, "B's admin token");
  const bravoSecret = `bravo-secret-${hex()}`;
  bravoNames.set(bravoSecret, "B's secret name");
  await newSecret(intruder, "main", shared, bravoKey, canary.bravo);
  await newSecret(intruder, "main", bravoSecret, bravoKey, canary.bravo);

  await expireToken(expired.id);
  await made(owner, "DELETE", `/v1/tokens/${revoked.id}`);

  heldRun = await openRun(server.url, developer.value, {
    bundle: runBundle,
    functions: [{ index: 0, name: "run", layers: [] }],
  });
  expect(heldRun.status, heldRun.text).toBe(200);

  fx = {
    bearer: {
      none: null,
      // Not one word: no bearer token at all.
      malformed: "not a token",
      unknown: `lbx_${randomBytes(32).toString("base64url")}`,
      expired: expired.value,
      revoked: revoked.value,
      intruder,
      viewer: viewer.value,
      invoker: invoker.value,
      developer: developer.value,
      owner,
    },
    aOnly,
    aSecret,
    shared,
    bravoSecret,
    bravoWorkspace,
  };
});
afterAll(async () => {
  heldRun?.close();
  await server.dispose();
});

describe("the isolation matrix", () => {
  it("covers every route of the OpenAPI document but the public ones", async () => {
    const document = await as(null, "GET", "/openapi.json");
    const methods = new Set(["get", "put", "post", "patch", "delete", "head", "options"]);
    const documented = Object.entries(document.body.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => methods.has(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = [...routeCases.filter((c) => !c.variant).map((c) => c.route), signInRoute, oidcRoute];
    expect(new Set(covered).size).toBe(covered.length);
    expect(documented.filter((route) => !publicRoutes.includes(route)).sort()).toEqual(covered.sort());
    for (const route of publicRoutes) {
      const answer = await as(null, "GET", route.replace("GET ", "").replace("*", ""));
      expect(answer.status, route).not.toBe(401);
    }
  });

  describe.each(transports)("credentials sent by %s", (transport) => {
    const named = routeCases.map((c) => [c.variant ? `${c.route} (${c.variant})` : c.route, c] as const);
    it.each(named)("%s", async (_route, routeCase) => {
      expect(await checkRoute(routeCase, transport)).toEqual([]);
    });
  });

  it(`${oidcRoute}: no Lockbox credential passes for a platform's token, in any workspace`, async () => {
    const identity = await aimAt("A's in main").identity();
    const problems: string[] = [];
    for (const who of identities) {
      for (const workspace of ["default", fx.bravoWorkspace]) {
        const options = {
          ...(await credentialsFor(who, "bearer")),
          body: { identity, workspace, token: fx.bearer[who] ?? "x" },
        };
        const answer = await callApi(server.url, "POST", "/v1/auth/oidc", options);
        if (answer.status !== 401 || answer.body?.error?.message !== "not allowed")
          problems.push(`${who} in ${workspace}: ${answer.status} ${answer.body?.error?.message}`);
        const error = errorShapeProblem(answer);
        if (error) problems.push(`${who}: ${error}`);
        for (const leak of leaks(answer, who, "")) problems.push(`${who}: the answer holds ${leak}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it(`${signInRoute}: only a valid token signs in, to its own workspace`, async () => {
    const problems: string[] = [];
    for (const who of identities) {
      const token = fx.bearer[who];
      const answer = await callApi(
        server.url,
        "POST",
        "/v1/sessions",
        token === null ? {} : { body: { token } },
      );
      const valid = (validIdentities as readonly string[]).includes(who);
      const expected = who === "none" ? 400 : valid ? 201 : 401;
      if (answer.status !== expected) problems.push(`${who}: ${answer.status}, expected ${expected}`);
      const error = answer.status < 300 ? undefined : errorShapeProblem(answer);
      if (error) problems.push(`${who}: ${error}`);
      for (const leak of leaks(answer, who, "")) problems.push(`${who}: the answer holds ${leak}`);
      const workspace = who === "intruder" ? fx.bravoWorkspace : "default";
      if (valid && answer.body?.actor?.workspace !== workspace) problems.push(`${who}: signed in elsewhere`);
    }
    expect(problems).toEqual([]);
  });
});
