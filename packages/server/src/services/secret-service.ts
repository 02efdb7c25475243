import type { Envelope } from "../crypto/envelope.js";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "../shared/errors.js";
import { assertKeys, assertSecretName, assertValues, quote } from "../shared/rules.js";
import type { SecretRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";
import { recordAudit } from "./audit-service.js";
import { findEnvironment } from "./environment-service.js";
import { newId } from "./ids.js";
import { type ExportFormat, formatExport } from "./secret-export.js";
import { createVersionCodec, diffKeys, type Values } from "./secret-versions.js";

/** A named secret as listed and shown: key names, never values. */
export interface SecretInfo {
  name: string;
  environment: string;
  version: number;
  keys: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/** One version in a secret's history: who made it and which keys it touched. */
export interface VersionInfo {
  version: number;
  createdAt: string;
  createdBy: string;
  keys: string[];
  added: string[];
  removed: string[];
  changed: string[];
  rollbackOf: number | null;
}

/** What `create` does when the name is taken: fail, keep the old values, or replace them. */
export type IfExists = "fail" | "keep" | "replace";

export interface SecretRef {
  environment: string;
  name: string;
}

export interface CreateSecretInput extends SecretRef {
  values: Values;
  ifExists?: IfExists | undefined;
}

export interface UpdateSecretInput extends SecretRef {
  set?: Values | undefined;
  unset?: string[] | undefined;
  ifVersion?: number | undefined;
}

export interface ResolveInput {
  environment: string;
  secrets: { name: string; requiredKeys?: string[] | undefined }[];
}

const notFound = (ref: SecretRef) =>
  new NotFoundError(`Secret ${quote(ref.name)} not found in environment ${quote(ref.environment)}`);

function toInfo(head: SecretRow, environment: string, keys: string[]): SecretInfo {
  const { name, version, createdAt, createdBy, updatedAt, lastUsedAt } = head;
  return { name, environment, version, keys, createdAt, createdBy, updatedAt, lastUsedAt };
}

function assertHasKeys(name: string, keys: string[], requiredKeys: string[] = []): void {
  const missing = requiredKeys.filter((key) => !keys.includes(key));
  if (missing.length > 0)
    throw new NotFoundError(`Secret ${quote(name)} is missing key(s): ${missing.join(", ")}`);
}

const parseKeys = (json: string): string[] => JSON.parse(json) as string[];

/** Named secrets: every rule about creating, reading, changing and versioning them. */
export function createSecretService(deps: {
  store: Pick<Store, "directory" | "secrets" | "transaction">;
  envelope: Envelope;
}) {
  const { store } = deps;
  const codec = createVersionCodec(deps.envelope);

  async function findHead(tables: Pick<StoreTables, "directory" | "secrets">, actor: Actor, ref: SecretRef) {
    assertSecretName(ref.name);
    const environment = await findEnvironment(tables.directory, actor, ref.environment);
    const head = await tables.secrets.find(environment.id, ref.name);
    return { environment, head };
  }

  async function requireHead(
    tables: Pick<StoreTables, "directory" | "secrets">,
    actor: Actor,
    ref: SecretRef,
  ) {
    const { head } = await findHead(tables, actor, ref);
    if (!head) throw notFound(ref);
    return head;
  }

  async function readVersion(secrets: StoreTables["secrets"], head: SecretRow, version = head.version) {
    const row = await secrets.getVersion(head.id, version);
    if (!row) throw new NotFoundError(`Secret ${quote(head.name)} has no version ${version}`);
    return { row, values: codec.open(head, row) };
  }

  /** Appends version `head.version + 1` holding `values`; returns the new head. */
  async function appendVersion(
    tx: StoreTables,
    actor: Actor,
    head: SecretRow,
    change: { values: Values; previous: Values; action: string; environment: string; rollbackOf?: number },
  ): Promise<SecretInfo> {
    const version = head.version + 1;
    const updatedAt = new Date().toISOString();
    await codec.write(tx.secrets, head, { ...change, version, createdBy: actor.name });
    await tx.secrets.setVersion(head.id, version, updatedAt);
    await recordAudit(tx.audit, actor, {
      action: change.action,
      environment: change.environment,
      secret: head.name,
      version,
    });
    return toInfo({ ...head, version, updatedAt }, change.environment, Object.keys(change.values).sort());
  }

  async function insertSecret(
    tx: StoreTables,
    actor: Actor,
    environmentId: string,
    input: CreateSecretInput,
  ) {
    // Creation times are kept unique in an environment (1 ms apart at least), so that a page
    // that starts at `createdBefore` neither skips nor repeats secrets created in the same ms.
    const latest = await tx.secrets.latestCreatedAt(environmentId);
    const now = new Date(Math.max(Date.now(), latest ? Date.parse(latest) + 1 : 0)).toISOString();
    const head: SecretRow = {
      id: newId("st"),
      workspaceId: actor.workspaceId,
      environmentId,
      name: input.name,
      version: 0,
      createdAt: now,
      createdBy: actor.name,
      updatedAt: now,
      lastUsedAt: null,
    };
    await tx.secrets.insert(head);
    return appendVersion(tx, actor, head, {
      values: input.values,
      previous: {},
      action: "secret.create",
      environment: input.environment,
    });
  }

  async function currentInfo(secrets: StoreTables["secrets"], head: SecretRow, environment: string) {
    const row = await secrets.getVersion(head.id, head.version);
    return toInfo(head, environment, row ? parseKeys(row.keys) : []);
  }

  /** The secret's current keys; `requiredKeys` that it lacks are a `NotFoundError`. */
  async function get(
    actor: Actor,
    ref: SecretRef & { requiredKeys?: string[] | undefined },
  ): Promise<SecretInfo> {
    const info = await currentInfo(store.secrets, await requireHead(store, actor, ref), ref.environment);
    assertHasKeys(ref.name, info.keys, ref.requiredKeys);
    return info;
  }

  async function reveal(
    actor: Actor,
    ref: SecretRef & { version?: number | undefined },
    action = "secret.reveal",
  ) {
    requireRole(actor, "developer", "read secret values");
    return store.transaction(async (tx) => {
      const head = await requireHead(tx, actor, ref);
      const { row, values } = await readVersion(tx.secrets, head, ref.version);
      await recordAudit(tx.audit, actor, {
        action,
        environment: ref.environment,
        secret: head.name,
        version: row.version,
      });
      return { secret: toInfo(head, ref.environment, parseKeys(row.keys)), version: row.version, values };
    });
  }

  return {
    /** Creates a secret; when the name is taken, `ifExists` decides (default: `AlreadyExistsError`). */
    async create(actor: Actor, input: CreateSecretInput): Promise<{ created: boolean; secret: SecretInfo }> {
      requireRole(actor, "developer", "create secrets");
      assertSecretName(input.name);
      assertValues(input.values);
      const ifExists = input.ifExists ?? "fail";
      return store.transaction(async (tx) => {
        const { environment, head } = await findHead(tx, actor, input);
        if (!head) return { created: true, secret: await insertSecret(tx, actor, environment.id, input) };
        if (ifExists === "fail") {
          throw new AlreadyExistsError(
            `Secret ${quote(input.name)} already exists in environment ${quote(input.environment)}`,
          );
        }
        if (ifExists === "keep")
          return { created: false, secret: await currentInfo(tx.secrets, head, input.environment) };
        const { values: previous } = await readVersion(tx.secrets, head);
        const secret = await appendVersion(tx, actor, head, {
          values: input.values,
          previous,
          action: "secret.replace",
          environment: input.environment,
        });
        return { created: true, secret };
      });
    },

    get,

    async list(
      actor: Actor,
      options: { environment: string; limit?: number | undefined; createdBefore?: string | undefined },
    ): Promise<SecretInfo[]> {
      const environment = await findEnvironment(store.directory, actor, options.environment);
      const rows = await store.secrets.list(environment.id, {
        limit: Math.min(options.limit ?? 100, 1000),
        createdBefore: options.createdBefore,
      });
      return rows.map(({ keys, ...head }) => toInfo(head, options.environment, parseKeys(keys)));
    },

    /** The values of the current (or a given) version; an audited read. */
    reveal: (actor: Actor, ref: SecretRef & { version?: number | undefined }) => reveal(actor, ref),

    /** The current values rendered for another tool; an audited read. */
    async export(actor: Actor, ref: SecretRef & { format: ExportFormat }): Promise<string> {
      const { values } = await reveal(actor, ref, "secret.export");
      return formatExport(ref.name, values, ref.format);
    },

    /** Merges `set` into the current values and removes `unset`, as one new version. */
    async update(actor: Actor, input: UpdateSecretInput): Promise<SecretInfo> {
      requireRole(actor, "developer", "update secrets");
      const set = input.set ?? {};
      const unset = input.unset ?? [];
      assertValues(set);
      assertKeys(unset);
      const both = unset.find((key) => Object.hasOwn(set, key));
      if (both) throw new InvalidError(`Key ${quote(both)} cannot be both set and unset`);
      return store.transaction(async (tx) => {
        const head = await requireHead(tx, actor, input);
        if (input.ifVersion !== undefined && input.ifVersion !== head.version) {
          throw new ConflictError(
            `Secret ${quote(input.name)} is at version ${head.version}, not ${input.ifVersion}: someone else changed it; reload and try again`,
          );
        }
        const { row, values: previous } = await readVersion(tx.secrets, head);
        const values = Object.fromEntries(
          Object.entries({ ...previous, ...set }).filter(([key]) => !unset.includes(key)),
        );
        const { added, removed, changed } = diffKeys(previous, values);
        if (added.length + removed.length + changed.length === 0) {
          return toInfo(head, input.environment, parseKeys(row.keys)); // nothing changed: no new version
        }
        return appendVersion(tx, actor, head, {
          values,
          previous,
          action: "secret.update",
          environment: input.environment,
        });
      });
    },

    async delete(
      actor: Actor,
      ref: SecretRef & { allowMissing?: boolean | undefined },
    ): Promise<{ deleted: boolean }> {
      requireRole(actor, "developer", "delete secrets");
      return store.transaction(async (tx) => {
        const { head } = await findHead(tx, actor, ref);
        if (!head) {
          if (ref.allowMissing) return { deleted: false };
          throw notFound(ref);
        }
        await tx.secrets.delete(head.id);
        await recordAudit(tx.audit, actor, {
          action: "secret.delete",
          environment: ref.environment,
          secret: ref.name,
        });
        return { deleted: true };
      });
    },

    async history(actor: Actor, ref: SecretRef): Promise<VersionInfo[]> {
      const head = await requireHead(store, actor, ref);
      const rows = await store.secrets.listVersions(head.id);
      return rows.map((row) => ({
        ...row,
        keys: parseKeys(row.keys),
        added: parseKeys(row.added),
        removed: parseKeys(row.removed),
        changed: parseKeys(row.changed),
      }));
    },

    /** Makes a new version equal to an old one; history is kept. */
    async rollback(actor: Actor, ref: SecretRef & { version: number }): Promise<SecretInfo> {
      requireRole(actor, "developer", "roll back secrets");
      return store.transaction(async (tx) => {
        const head = await requireHead(tx, actor, ref);
        const { values } = await readVersion(tx.secrets, head, ref.version);
        const { values: previous } = await readVersion(tx.secrets, head);
        return appendVersion(tx, actor, head, {
          values,
          previous,
          action: "secret.rollback",
          environment: ref.environment,
          rollbackOf: ref.version,
        });
      });
    },

    /** Reads secrets for a container start, in order: an audited read that sets "last used at". */
    async resolve(actor: Actor, input: ResolveInput) {
      requireRole(actor, "developer", "read secret values");
      return store.transaction(async (tx) => {
        const resolved = [];
        for (const wanted of input.secrets) {
          const head = await requireHead(tx, actor, { environment: input.environment, name: wanted.name });
          const { values } = await readVersion(tx.secrets, head);
          assertHasKeys(wanted.name, Object.keys(values), wanted.requiredKeys);
          resolved.push({ name: head.name, id: head.id, version: head.version, values });
        }
        await tx.secrets.touchLastUsed(
          resolved.map((secret) => secret.id),
          new Date().toISOString(),
        );
        for (const secret of resolved) {
          await recordAudit(tx.audit, actor, {
            action: "secret.resolve",
            environment: input.environment,
            secret: secret.name,
            version: secret.version,
          });
        }
        return resolved.map(({ name, version, values }) => ({ name, version, values }));
      });
    },
  };
}

export type SecretService = ReturnType<typeof createSecretService>;
