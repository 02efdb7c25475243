import { assertResolveNames, type ExportFormat, pageSize } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";
import { auditEntry } from "./audit-record.js";
import { findEnvironment } from "./environment-lookup.js";
import type { ReadLog } from "./read-log.js";
import { assertExportOptions, formatExport } from "./secret-export.js";
import { assertHasKeys, parseKeys, type SecretLookup, toMetadata } from "./secret-lookup.js";
import type { ResolvedSecret, ResolveInput, SecretMetadata, SecretRef, VersionInfo } from "./secret-types.js";

/** Reading named secrets: keys and history for anyone, values (audited) for developers and admins. */
export function createSecretReads(deps: {
  store: Pick<Store, "directory" | "secrets" | "replica">;
  lookup: SecretLookup;
  readLog: ReadLog;
}) {
  const { store, lookup, readLog } = deps;
  const { requireHead, readVersion, currentMetadata } = lookup;

  /** The secret's current keys; `requiredKeys` that it lacks are a `NotFoundError`. */
  async function get(
    actor: Actor,
    ref: SecretRef & { requiredKeys?: string[] | undefined },
  ): Promise<SecretMetadata> {
    const info = await currentMetadata(store.secrets, await requireHead(store, actor, ref), ref.environment);
    assertHasKeys(ref.name, info.keys, ref.requiredKeys);
    return info;
  }

  async function openVersion(
    actor: Actor,
    ref: SecretRef & { version?: number | undefined },
    action = "secret.reveal",
  ) {
    requireRole(actor, "developer", "read secret values");
    const head = await requireHead(store, actor, ref);
    const { row, values } = await readVersion(store.secrets, head, ref.version);
    const entry = auditEntry(actor, {
      action,
      environment: ref.environment,
      secret: head.name,
      version: row.version,
    });
    await readLog.write({ entries: [entry], used: [] });
    return { head, row, values };
  }

  async function reveal(actor: Actor, ref: SecretRef & { version?: number | undefined }) {
    const { head, row, values } = await openVersion(actor, ref);
    return { secret: toMetadata(head, ref.environment, parseKeys(row.keys)), version: row.version, values };
  }

  return {
    get,

    /** Newest first; from the read replica, which may lag behind a write of a moment ago. */
    async list(
      actor: Actor,
      options: { environment: string; limit?: number | undefined; createdBefore?: string | undefined },
    ): Promise<SecretMetadata[]> {
      const environment = await findEnvironment(store.directory, actor, options.environment);
      const rows = await store.replica.secrets.list(environment.id, {
        limit: pageSize(options.limit),
        createdBefore: options.createdBefore,
      });
      return rows.map(({ keys, ...head }) => toMetadata(head, options.environment, parseKeys(keys)));
    },

    /** The values of the current (or a given) version; an audited read. */
    reveal,

    /** The current values rendered for another tool; an audited read. */
    async export(
      actor: Actor,
      ref: SecretRef & { format: ExportFormat; kubernetesName?: string | undefined },
    ): Promise<string> {
      const { format, kubernetesName } = ref;
      assertExportOptions(format, kubernetesName);
      const { row, values } = await openVersion(actor, ref, "secret.export");
      const exported = {
        name: ref.name,
        version: row.version,
        sealed: row.ciphertext,
        values,
        kubernetesName,
      };
      return formatExport(exported, format);
    },

    /** Newest first, a page before `beforeVersion`; from the read replica, like listings. */
    async history(
      actor: Actor,
      ref: SecretRef & { limit?: number | undefined; beforeVersion?: number | undefined },
    ): Promise<VersionInfo[]> {
      const head = await requireHead(store, actor, ref);
      const page = { limit: pageSize(ref.limit), beforeVersion: ref.beforeVersion };
      const rows = await store.replica.secrets.listVersions(head.id, page);
      return rows.map((row) => ({
        ...row,
        keys: parseKeys(row.keys),
        added: parseKeys(row.added),
        removed: parseKeys(row.removed),
        changed: parseKeys(row.changed),
      }));
    },

    /**
     * Reads secrets (current or pinned versions) to run something with them: `lockbox exec`, or a
     * container the caller starts itself (`use: "container"`). An audited read that sets "last used at".
     */
    async resolve(actor: Actor, input: ResolveInput): Promise<ResolvedSecret[]> {
      assertResolveNames(input.secrets.map((wanted) => wanted.name));
      const action = input.use === "container" ? "container.start" : "secret.resolve";
      const { secrets, record } = await lookup.readForUse(store, actor, input, action);
      await readLog.write(record);
      return secrets;
    },
  };
}
