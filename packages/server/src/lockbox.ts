import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ContainerPoolEvents } from "./containers/container-types.js";
import { type AuditChain, createAuditChain } from "./crypto/audit-chain.js";
import { createEnvelope, type Envelope } from "./crypto/envelope.js";
import { loadMasterKeys, type MasterKeySource } from "./crypto/master-key.js";
import {
  createFunctionExecutor,
  type FunctionExecutor,
  type FunctionExecutorOptions,
} from "./execution/function-executor.js";
import { createIdentityMinter } from "./execution/function-identity.js";
import { createIdentityExchange, type IdentityExchange } from "./identity/identity-exchange.js";
import { createIssuerKeys } from "./identity/issuer-keys.js";
import { createOidcVerifier } from "./identity/oidc-verifier.js";
import { createAppService, createDeploymentReader } from "./services/app-service.js";
import { createAuditService } from "./services/audit-service.js";
import { type Authenticate, createAuthenticator } from "./services/authenticator.js";
import { createEnvironmentService } from "./services/environment-service.js";
import { createFailureGuard } from "./services/failure-guard.js";
import { createIdentityService } from "./services/identity-service.js";
import { createIdentitySigner, type FunctionIdentity } from "./services/identity-signer.js";
import { createMasterKeyRotation, type RotationOptions } from "./services/master-key-rotation.js";
import { createReadLog, type ReadLog, type ReadLogEvents } from "./services/read-log.js";
import { createSecretLookup, type SecretLookup } from "./services/secret-lookup.js";
import { createSecretService } from "./services/secret-service.js";
import { createVersionCodec, type VersionCodec } from "./services/secret-versions.js";
import {
  createSessionService,
  type SessionOptions,
  type SessionService,
} from "./services/session-service.js";
import { createTokenService } from "./services/token-service.js";
import { createWorkspaceService } from "./services/workspace-service.js";
import { bootstrap, ensureDefaultWorkspace } from "./services/workspace-setup.js";
import { IntegrityError } from "./shared/errors.js";
import { openPostgresStore } from "./store/postgres.js";
import type { WorkspaceRow } from "./store/schema.js";
import { openSqliteStore } from "./store/sqlite.js";
import type { Store } from "./store/store.js";

export const databaseFileName = "lockbox.db";

/**
 * Refuses master keys that do not include the store's current one (the one it was set up with,
 * or rotated to); on first use, records the first key given as current.
 */
async function checkMasterKey(store: Store, envelope: Envelope, keyOrigin: string): Promise<void> {
  const current = await store.transaction(async (tx) => {
    const known = (await tx.keys.listMasterKeys()).find((key) => key.status === "current");
    if (known) return known;
    const [id = ""] = envelope.keyIds();
    const first = {
      id,
      check: envelope.keyCheck(id),
      createdAt: new Date().toISOString(),
      status: "current" as const,
    };
    await tx.keys.insertMasterKey(first);
    return first;
  });
  if (!envelope.verifiesKeyCheck(current.id, current.check)) {
    throw new IntegrityError(
      `The master key from ${keyOrigin} (id ${envelope.keyIds().join(", ")}) is not the key this store was set up with ` +
        `or rotated to (id ${current.id}); use that key: set LOCKBOX_MASTER_KEY to it, or restore the key file`,
    );
  }
}

const auditKeyName = "audit-chain";

/**
 * The audit chain, keyed by a random key the store keeps wrapped by the master key. The first
 * start makes the key and, in the same transaction, links the entries written before it.
 */
async function openAuditChain(store: Store, envelope: Envelope): Promise<AuditChain> {
  const existing = await store.keys.findStoreKey(auditKeyName);
  if (existing) return createAuditChain(envelope.unwrapKey(auditKeyName, existing));
  const key = randomBytes(32);
  const chain = createAuditChain(key);
  const made = await store.withAuditChain(chain).transaction(async (tx) => {
    if (await tx.keys.findStoreKey(auditKeyName)) return false; // another instance made it
    // Made again for chains that exist, it would let edited entries pass as intact.
    if (await tx.audit.hasChains()) {
      throw new IntegrityError(
        "The audit log's chain key is missing from the store while its chains exist: restore the database from a backup",
      );
    }
    const createdAt = new Date().toISOString();
    await tx.keys.insertStoreKey({
      name: auditKeyName,
      ...envelope.wrapKey(auditKeyName, key, await tx.keys.currentMasterKeyId()),
      createdAt,
    });
    await tx.audit.adoptUnchained();
    for (const workspace of await tx.directory.listWorkspaces()) await tx.audit.startChain(workspace.id);
    return true;
  });
  return made ? chain : openAuditChain(store, envelope);
}

function createServices(
  store: Store,
  lookup: SecretLookup,
  codec: VersionCodec,
  chain: AuditChain,
  readLog: ReadLog,
  events: LockboxEvents | undefined,
) {
  const secrets = createSecretService({ store, lookup, codec, readLog, onWrite: events?.secretWritten });
  return {
    secrets,
    apps: createAppService({ store }),
    environments: createEnvironmentService({ store }),
    workspaces: createWorkspaceService({ store }),
    tokens: createTokenService({ store }),
    identities: createIdentityService({ store }),
    audit: createAuditService({ store, chain }),
  };
}

export type Services = ReturnType<typeof createServices>;

export interface Lockbox {
  services: Services;
  authenticate: Authenticate;
  /** `POST /v1/auth/oidc`: a platform's token for a Lockbox token; not part of `Services` (no actor yet). */
  identityExchange: IdentityExchange;
  /** Dashboard sign-in; not part of `Services`, whose methods all act for a known actor. */
  sessions: SessionService;
  /** Deployed functions called through this server, run in its own containers; not part of `Services` (which clients bind). */
  functions: FunctionExecutor;
  /** Functions' identity tokens: who issues them (once known), and the keys that verify them. */
  identity: FunctionIdentity;
  /**
   * Makes the first master key given (of `LOCKBOX_MASTER_KEY` or the key file) the store's
   * current one and re-wraps every data key under it; an operator's task, see `lockbox admin`.
   */
  rotateMasterKey(options?: RotationOptions): Promise<{ keyId: string; rewrapped: number }>;
  /** The `default` workspace, made on first use (by `createdBy`): the one embedded mode acts in. */
  ensureDefaultWorkspace(createdBy: string): Promise<WorkspaceRow>;
  /**
   * On a store with no bootstrap token: makes one, an admin of `default` that may also create
   * workspaces (`token` its value, else a generated one). Returns the value when it was generated
   * here (to print once), else undefined.
   */
  bootstrap(options?: { token?: string | undefined }): Promise<string | undefined>;
  /** Whether the databases are reachable and migrated (`/readyz`). */
  readiness: Store["readiness"];
  /** The PostgreSQL connection pools' use now (none on SQLite), for the metrics. */
  connectionPools: Store["connectionPools"];
  /** Stops the containers of deployed functions' calls, then closes the store. */
  close(): Promise<void>;
}

/** What a server's metrics are told as things happen: kinds, counts and durations, never a name or value. */
export interface LockboxEvents {
  readLog: ReadLogEvents;
  containers: ContainerPoolEvents;
  secretWritten(): void;
  /** A bearer token refused (unknown, expired or revoked), or a sign-in with one. */
  authenticationFailed(kind: "token" | "sign_in"): void;
}

interface OpenLockboxOptions {
  sessions?: Partial<SessionOptions> | undefined;
  /** Failed bearer tokens audited one by one per address, and per token, a minute; then answered 429 (default 20). */
  maxFailedAuthentications?: number | undefined;
  /** The same per workspace (the token's, or `default` for unknown tokens) a minute (default 100). */
  maxFailedAuthenticationsPerWorkspace?: number | undefined;
  /** How deployed functions called through this server run (container backend, the SDK's container build). */
  execution?: FunctionExecutorOptions | undefined;
  /**
   * The issuer of functions' identity tokens: the server's public URL, once known. Undefined (as
   * in embedded mode, where no one could fetch the keys): containers get no token.
   */
  identityIssuer?: (() => string | undefined) | undefined;
  events?: LockboxEvents | undefined;
}

export interface LockboxSource extends MasterKeySource {
  /** `postgres://…`: the data lives in PostgreSQL; default: SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** With `databaseUrl`: a read replica for listings and history. */
  databaseReplicaUrl?: string | undefined;
  /** With `databaseUrl`: connections to open at most, to the primary and the replica each. */
  databaseMaxConnections?: number | undefined;
}

/**
 * Opens the data folder (and PostgreSQL at `databaseUrl` when given): database migrated, master
 * key loaded and checked, services wired. The master key comes from `encodedKey` or the data folder.
 */
export async function openLockbox(source: LockboxSource, options: OpenLockboxOptions = {}): Promise<Lockbox> {
  return (await openLockboxWithStore(source, options)).lockbox;
}

/**
 * `openLockbox`, and the store under it (with the audit chain): for this package's own tests,
 * which check what was stored. The package does not export it; clients go through the services.
 */
export async function openLockboxWithStore(
  source: LockboxSource,
  options: OpenLockboxOptions = {},
): Promise<{ lockbox: Lockbox; store: Store }> {
  mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
  const masterKeys = loadMasterKeys(source);
  const store = source.databaseUrl
    ? openPostgresStore(source.databaseUrl, {
        replicaUrl: source.databaseReplicaUrl,
        maxConnections: source.databaseMaxConnections,
      })
    : openSqliteStore(join(source.dataDir, databaseFileName));
  const { events } = options;
  try {
    await store.migrate();
    // Read again when a key is missing: a rotation may have added one to the key file.
    const reload = source.encodedKey === undefined ? () => loadMasterKeys(source) : undefined;
    const envelope = createEnvelope(masterKeys, reload);
    const codec = createVersionCodec(envelope);
    const lookup = createSecretLookup(codec);
    const keyOrigin = source.encodedKey === undefined ? "the key file" : "LOCKBOX_MASTER_KEY";
    await checkMasterKey(store, envelope, keyOrigin);
    const chain = await openAuditChain(store, envelope);
    const chained = store.withAuditChain(chain);
    const authenticator = createAuthenticator({ store: chained });
    const bearers = createFailureGuard(
      { store: chained },
      {
        maxFailures: options.maxFailedAuthentications ?? 20,
        maxFailuresPerWorkspace: options.maxFailedAuthenticationsPerWorkspace ?? 100,
        windowMs: 60_000,
        action: "auth.failed",
        what: "failed authentications",
        lockOut: false,
        onFailure: events && (() => events.authenticationFailed("token")),
      },
    );
    const readLog = createReadLog({ store: chained, events: events?.readLog });
    const services = createServices(chained, lookup, codec, chain, readLog, events);
    // Its key is made or loaded on first use: an embedded CLI that opens the store needs none.
    const signer = createIdentitySigner({ store: chained, envelope });
    const { identityIssuer = () => undefined } = options;
    // Its containers start on the first call: an embedded CLI that opens the store starts none.
    const functions = createFunctionExecutor(
      {
        apps: services.apps,
        deployments: createDeploymentReader({ store: chained }),
        secrets: services.secrets,
        store: chained,
        lookup,
        readLog,
        identity: createIdentityMinter({ store: chained, signer, issuer: identityIssuer }),
      },
      { ...options.execution, events: events?.containers },
    );
    const identityExchange = createIdentityExchange(
      { store: chained, verifier: createOidcVerifier({ keys: createIssuerKeys() }) },
      {
        maxFailures: options.maxFailedAuthentications ?? 20,
        maxFailuresPerWorkspace: options.maxFailedAuthenticationsPerWorkspace ?? 100,
        windowMs: 60_000,
      },
    );
    const lockbox: Lockbox = {
      services,
      identityExchange,
      functions,
      identity: { issuer: identityIssuer, jwks: signer.jwks },
      authenticate: (token, source) =>
        bearers.attempt(token, source, () => authenticator.byToken(token, source)),
      sessions: createSessionService({
        store: chained,
        authenticator,
        options: options.sessions,
        onFailedSignIn: events && (() => events.authenticationFailed("sign_in")),
      }),
      async rotateMasterKey(rotation) {
        const [keyId = ""] = envelope.keyIds();
        const rotator = createMasterKeyRotation({ store: chained, envelope });
        return { keyId, ...(await rotator.rotate(keyId, rotation)) };
      },
      ensureDefaultWorkspace: (createdBy) => ensureDefaultWorkspace(chained, createdBy),
      bootstrap: (bootstrapOptions = {}) => bootstrap(chained, bootstrapOptions),
      readiness: () => chained.readiness(),
      connectionPools: () => chained.connectionPools(),
      async close() {
        // Containers first: a call still running reads nothing more once the store is gone.
        await functions.close();
        await store.close();
      },
    };
    return { lockbox, store: chained };
  } catch (error) {
    await store.close();
    throw error;
  }
}
