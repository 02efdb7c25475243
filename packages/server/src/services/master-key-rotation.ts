import type { Envelope } from "../crypto/envelope.js";
import { quote } from "../shared/rules.js";
import type { Store } from "../store/store.js";
import { sealContext } from "./secret-versions.js";

export interface RotationOptions {
  /** Data keys re-wrapped per transaction (default 500). */
  batchSize?: number | undefined;
  /** Called after each batch with how many data keys were re-wrapped so far. */
  onProgress?: ((rewrapped: number) => void) | undefined;
}

/**
 * Online master-key rotation: makes `keyId` the store's current master key, then re-wraps every
 * data key (and the store's own keys) under it, batch by batch, while servers go on reading and
 * writing; at the end the old key is retired, no longer needed by anything. Run again after an
 * interruption, it goes on where it stopped.
 */
export function createMasterKeyRotation(deps: { store: Store; envelope: Envelope }) {
  const { store, envelope } = deps;

  // Locking the master keys waits for writes under the old one (they hold it FOR SHARE) to commit.
  const makeCurrent = (keyId: string) =>
    store.transaction(async (tx) => {
      const known = await tx.keys.listMasterKeys();
      const target = known.find((key) => key.id === keyId);
      if (target?.status === "current") return;
      for (const key of known.filter((key) => key.status === "current"))
        await tx.keys.setMasterKeyStatus(key.id, "previous");
      if (target) await tx.keys.setMasterKeyStatus(keyId, "current");
      else {
        const createdAt = new Date().toISOString();
        await tx.keys.insertMasterKey({
          id: keyId,
          check: envelope.keyCheck(keyId),
          createdAt,
          status: "current",
        });
      }
    });

  const rewrapStoreKeys = (keyId: string) =>
    store.transaction(async (tx) => {
      for (const row of await tx.keys.storeKeysNotUnder(keyId)) {
        const key = envelope.unwrapKey(row.name, row);
        try {
          await tx.keys.rewrapStoreKey(row.name, envelope.wrapKey(row.name, key, keyId));
        } finally {
          key.fill(0);
        }
      }
    });

  const rewrapBatch = (keyId: string, batchSize: number) =>
    store.transaction(async (tx) => {
      const rows = await tx.keys.versionsNotUnder(keyId, batchSize);
      for (const row of rows) {
        const context = sealContext({ ...row, id: row.secretId }, row.version);
        const label = `Secret ${quote(row.name)} version ${row.version}`;
        await tx.keys.rewrapVersion(row.secretId, row.version, envelope.rewrap(context, row, keyId, label));
      }
      return rows.length;
    });

  // Only once nothing is left under them: a write that began before the switch has committed by now.
  const retireOthers = (keyId: string) =>
    store.transaction(async (tx) => {
      if ((await tx.keys.versionsNotUnder(keyId, 1)).length > 0) return false;
      for (const key of await tx.keys.listMasterKeys())
        if (key.id !== keyId && key.status !== "retired") await tx.keys.setMasterKeyStatus(key.id, "retired");
      return true;
    });

  return {
    async rotate(keyId: string, options: RotationOptions = {}): Promise<{ rewrapped: number }> {
      const { batchSize = 500, onProgress } = options;
      await makeCurrent(keyId);
      await rewrapStoreKeys(keyId);
      let rewrapped = 0;
      do {
        for (
          let count = await rewrapBatch(keyId, batchSize);
          count > 0;
          count = await rewrapBatch(keyId, batchSize)
        ) {
          rewrapped += count;
          onProgress?.(rewrapped);
        }
      } while (!(await retireOthers(keyId)));
      return { rewrapped };
    },
  };
}
