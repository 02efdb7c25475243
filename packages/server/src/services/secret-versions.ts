import type { Envelope } from "../crypto/envelope.js";
import { quote } from "../shared/rules.js";
import type { SealedVersion, SecretRow } from "../store/schema.js";
import type { StoreTables } from "../store/store.js";

export type Values = Record<string, string>;

/** Which keys a new version added, removed and changed against the one before it. */
export function diffKeys(before: Values, after: Values) {
  const beforeKeys = new Set(Object.keys(before));
  const afterKeys = Object.keys(after);
  return {
    added: afterKeys.filter((key) => !beforeKeys.has(key)),
    removed: [...beforeKeys].filter((key) => !Object.hasOwn(after, key)),
    changed: afterKeys.filter((key) => beforeKeys.has(key) && before[key] !== after[key]),
  };
}

/** Where a version belongs: what its encryption is bound to. */
export function sealContext(head: Pick<SecretRow, "workspaceId" | "environmentId" | "id">, version: number) {
  return {
    workspaceId: head.workspaceId,
    environmentId: head.environmentId,
    secretId: head.id,
    version,
  };
}

/** Reads and writes the encrypted versions of one secret. */
export function createVersionCodec(envelope: Envelope) {
  return {
    /** Decrypts a version's values; a changed or moved ciphertext is an `IntegrityError`. */
    open(head: SecretRow, row: SealedVersion): Values {
      const label = `Secret ${quote(head.name)} version ${row.version}`;
      const plaintext = envelope.open(sealContext(head, row.version), row, label);
      try {
        return JSON.parse(plaintext.toString("utf8")) as Values;
      } finally {
        plaintext.fill(0);
      }
    },

    /** Encrypts `values` as version `version` of `head` and stores it with its key changes. */
    async write(
      secrets: StoreTables["secrets"],
      head: SecretRow,
      write: {
        version: number;
        values: Values;
        previous: Values;
        createdBy: string;
        rollbackOf?: number;
        /** The master key to wrap the new data key under: the store's current one. */
        keyId: string;
      },
    ): Promise<void> {
      const { added, removed, changed } = diffKeys(write.previous, write.values);
      const sealed = envelope.seal(
        sealContext(head, write.version),
        Buffer.from(JSON.stringify(write.values)),
        write.keyId,
      );
      await secrets.insertVersion({
        secretId: head.id,
        version: write.version,
        createdAt: new Date().toISOString(),
        createdBy: write.createdBy,
        keys: JSON.stringify(Object.keys(write.values).sort()),
        added: JSON.stringify(added.sort()),
        removed: JSON.stringify(removed.sort()),
        changed: JSON.stringify(changed.sort()),
        rollbackOf: write.rollbackOf ?? null,
        ...sealed,
      });
    },
  };
}

export type VersionCodec = ReturnType<typeof createVersionCodec>;
