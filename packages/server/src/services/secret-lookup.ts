import { NotFoundError } from "../shared/errors.js";
import { assertSecretName, quote } from "../shared/rules.js";
import type { SealedVersion, SecretRow, SecretVersionRow } from "../store/schema.js";
import type { StoreTables } from "../store/store.js";
import { type Actor, requireRole } from "./actor.js";
import { auditEntry } from "./audit-record.js";
import { assertEnvironmentAccess, findEnvironment } from "./environment-lookup.js";
import type { ReadRecord } from "./read-log.js";
import type { ResolvedSecret, ResolveInput, SecretMetadata, SecretRef } from "./secret-types.js";
import type { VersionCodec } from "./secret-versions.js";

export const notFound = (ref: SecretRef) =>
  new NotFoundError(`Secret ${quote(ref.name)} not found in environment ${quote(ref.environment)}`);

const noSuchVersion = (name: string, version: number) =>
  new NotFoundError(`Secret ${quote(name)} has no version ${version}`);

export function toMetadata(head: SecretRow, environment: string, keys: string[]): SecretMetadata {
  const { name, version, createdAt, createdBy, updatedAt, lastUsedAt } = head;
  return { name, environment, version, keys, createdAt, createdBy, updatedAt, lastUsedAt };
}

export function assertHasKeys(name: string, keys: string[], requiredKeys: string[] = []): void {
  const missing = requiredKeys.filter((key) => !keys.includes(key));
  if (missing.length > 0)
    throw new NotFoundError(`Secret ${quote(name)} is missing key(s): ${missing.join(", ")}`);
}

export const parseKeys = (json: string): string[] => JSON.parse(json) as string[];

/** Finding a secret's head row and reading its versions, shared by reads and writes. */
export function createSecretLookup(codec: VersionCodec) {
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

  function openVersion(head: SecretRow, row: SecretVersionRow | undefined, version: number) {
    if (!row) throw noSuchVersion(head.name, version);
    return { row, values: codec.open(head, row) };
  }

  async function readVersion(secrets: StoreTables["secrets"], head: SecretRow, version = head.version) {
    return openVersion(head, await secrets.getVersion(head.id, version), version);
  }

  async function currentMetadata(secrets: StoreTables["secrets"], head: SecretRow, environment: string) {
    const row = await secrets.getVersion(head.id, head.version);
    return toMetadata(head, environment, row ? parseKeys(row.keys) : []);
  }

  /**
   * The heads and sealed versions of `input.secrets`, in order. The current versions of secrets
   * that all exist take one query; pinned versions, or a missing secret or environment (whose
   * error must say which), take three: the environment, the heads, their versions.
   */
  async function readSealed(
    tables: Pick<StoreTables, "directory" | "secrets">,
    actor: Actor,
    input: ResolveInput,
  ): Promise<{ head: SecretRow; sealed: SealedVersion }[]> {
    const names = input.secrets.map((wanted) => wanted.name);
    if (input.secrets.every((wanted) => wanted.version === undefined)) {
      const found = new Map(
        (await tables.secrets.findCurrent(actor.workspaceId, input.environment, names)).map((row) => [
          row.head.name,
          row,
        ]),
      );
      const rows = input.secrets.map((wanted) => found.get(wanted.name));
      if (rows.every((row) => row !== undefined)) return rows;
    }
    const environment = await findEnvironment(tables.directory, actor, input.environment);
    const heads = new Map(
      (await tables.secrets.findMany(environment.id, names)).map((head) => [head.name, head]),
    );
    const wantedVersions = input.secrets.map((wanted) => {
      const head = heads.get(wanted.name);
      if (!head) throw notFound({ environment: input.environment, name: wanted.name });
      return { head, version: wanted.version ?? head.version };
    });
    const versions = await tables.secrets.getVersions(
      wantedVersions.map(({ head, version }) => ({ secretId: head.id, version })),
    );
    return wantedVersions.map(({ head, version }) => {
      const sealed = versions.find((row) => row.secretId === head.id && row.version === version);
      if (!sealed) throw noSuchVersion(head.name, version);
      return { head, sealed };
    });
  }

  /**
   * Reads `input.secrets` (current or pinned versions), in order, checking the token's
   * environment and required keys; and the record the read must leave (audited as `action`,
   * naming the actor, each secret and version) before its values are handed out.
   */
  async function read(
    tables: Pick<StoreTables, "directory" | "secrets">,
    actor: Actor,
    input: ResolveInput,
    action: string,
    target?: string,
  ): Promise<{ secrets: ResolvedSecret[]; record: ReadRecord }> {
    for (const wanted of input.secrets) assertSecretName(wanted.name);
    assertEnvironmentAccess(actor, input.environment);
    const sealedVersions = await readSealed(tables, actor, input);
    const secrets = input.secrets.map((wanted, index) => {
      const { head, sealed } = sealedVersions[index] as (typeof sealedVersions)[number];
      const values = codec.open(head, sealed);
      assertHasKeys(wanted.name, Object.keys(values), wanted.requiredKeys);
      return { name: head.name, version: sealed.version, values };
    });
    const entries = secrets.map(({ name, version }) =>
      auditEntry(actor, {
        action,
        environment: input.environment,
        secret: name,
        version,
        ...(target === undefined ? {} : { target }),
      }),
    );
    const used = sealedVersions.map(({ head }) => head.id);
    return { secrets, record: { entries, used } };
  }

  return {
    findHead,
    requireHead,
    readVersion,
    currentMetadata,

    /** `read` for the actor itself, who receives the values: developers and admins only. */
    readForUse(
      tables: Pick<StoreTables, "directory" | "secrets">,
      actor: Actor,
      input: ResolveInput,
      action: string,
    ) {
      requireRole(actor, "developer", "read secret values");
      return read(tables, actor, input, action);
    },

    /**
     * `read` for a container this server starts itself on the actor's behalf (a call of the
     * function `target`), audited as `container.start` naming the actor: every check but the role,
     * since the values go into the container and never to the actor (an invoker may call).
     */
    readForServerContainer(
      tables: Pick<StoreTables, "directory" | "secrets">,
      actor: Actor,
      input: ResolveInput,
      target: string,
    ) {
      requireRole(actor, "invoker", "call deployed functions");
      return read(tables, actor, input, "container.start", target);
    },
  };
}

export type SecretLookup = ReturnType<typeof createSecretLookup>;
