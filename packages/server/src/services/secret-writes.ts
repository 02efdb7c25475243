import { AlreadyExistsError, ConflictError, InvalidError } from "../shared/errors.js";
import { assertKeyCount, assertKeys, assertSecretName, assertValues, quote } from "../shared/rules.js";
import type { SecretRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import { newId } from "./ids.js";
import { notFound, parseKeys, type SecretLookup, toMetadata } from "./secret-lookup.js";
import type { CreateSecretInput, SecretMetadata, SecretRef, UpdateSecretInput } from "./secret-types.js";
import { diffKeys, type Values, type VersionCodec } from "./secret-versions.js";

/** Changing named secrets: every change is a new immutable version, in one transaction with its audit entry. */
export function createSecretWrites(deps: {
  store: Pick<Store, "transaction">;
  lookup: SecretLookup;
  codec: VersionCodec;
}) {
  const { store, lookup, codec } = deps;
  const { findHead, requireHead, readVersion, currentMetadata } = lookup;

  /** Appends version `head.version + 1` holding `values`; returns the new head. */
  async function appendVersion(
    tx: StoreTables,
    actor: Actor,
    head: SecretRow,
    change: { values: Values; previous: Values; action: string; environment: string; rollbackOf?: number },
  ): Promise<SecretMetadata> {
    // The merged result of an update, too: each part may be small and the whole too large.
    assertKeyCount(Object.keys(change.values).length);
    const version = head.version + 1;
    const updatedAt = new Date().toISOString();
    const keyId = await tx.keys.currentMasterKeyId();
    await codec.write(tx.secrets, head, { ...change, version, createdBy: actor.name, keyId });
    await tx.secrets.setVersion(head.id, version, updatedAt);
    await recordAudit(tx.audit, actor, {
      action: change.action,
      environment: change.environment,
      secret: head.name,
      version,
    });
    return toMetadata({ ...head, version, updatedAt }, change.environment, Object.keys(change.values).sort());
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

  return {
    /** Creates a secret; when the name is taken, `ifExists` decides (default: `AlreadyExistsError`). */
    async create(
      actor: Actor,
      input: CreateSecretInput,
    ): Promise<{ created: boolean; secret: SecretMetadata }> {
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
          return { created: false, secret: await currentMetadata(tx.secrets, head, input.environment) };
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

    /** Merges `set` into the current values and removes `unset`, as one new version. */
    async update(actor: Actor, input: UpdateSecretInput): Promise<SecretMetadata> {
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
        // A mistyped key to remove must not pass for a removal: nothing is written.
        const missing = unset.filter((key) => !Object.hasOwn(previous, key));
        if (missing.length > 0)
          throw new InvalidError(
            `Secret ${quote(input.name)} has no key(s): ${[...new Set(missing)].join(", ")}`,
          );
        const values = Object.fromEntries(
          Object.entries({ ...previous, ...set }).filter(([key]) => !unset.includes(key)),
        );
        const { added, removed, changed } = diffKeys(previous, values);
        if (added.length + removed.length + changed.length === 0) {
          return toMetadata(head, input.environment, parseKeys(row.keys)); // nothing changed: no new version
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

    /** Makes a new version equal to an old one; history is kept. */
    async rollback(actor: Actor, ref: SecretRef & { version: number }): Promise<SecretMetadata> {
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
  };
}
