import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { IntegrityError } from "../shared/errors.js";
import { createDataKeyCache } from "./data-key-cache.js";
import type { MasterKey } from "./master-key.js";

/** Where a payload belongs; bound into the ciphertext as associated data, so it cannot be moved. */
export interface SealContext {
  workspaceId: string;
  environmentId: string;
  secretId: string;
  version: number;
}

/** A payload encrypted under a fresh data key, and that data key wrapped by the master key. */
export interface Sealed {
  keyId: string;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

const algorithm = "aes-256-gcm";
const nonceBytes = 12;
const tagBytes = 16;

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Returns undefined when the tag does not verify: wrong key, changed bytes or other associated data. */
function decrypt(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < nonceBytes + tagBytes) return undefined;
  const decipher = createDecipheriv(algorithm, key, sealed.subarray(0, nonceBytes), {
    authTagLength: tagBytes,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(nonceBytes, sealed.length - tagBytes)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

function associatedData(purpose: string, context: SealContext): Buffer {
  const { workspaceId, environmentId, secretId, version } = context;
  return Buffer.from(`lockbox/v1/${purpose}/${workspaceId}/${environmentId}/${secretId}/${version}`);
}

function storeKeyData(name: string): Buffer {
  return Buffer.from(`lockbox/v1/store-key/${name}`);
}

const keyCheckText = "lockbox master key check";

/** A data key wrapped by a master key, named by that key's id. */
export interface WrappedKey {
  keyId: string;
  wrappedKey: Buffer;
}

/**
 * Envelope encryption: AES-256-GCM with a random data key per payload, wrapped by a master key.
 * It holds a ring of master keys (several during a rotation) and wraps under the one the store
 * names current; `reload` reads the ring again when a key it lacks is asked for (the key file
 * changed under a running server).
 */
export function createEnvelope(keys: MasterKey[], reload?: () => MasterKey[]) {
  let ring = new Map(keys.map((key) => [key.id, key.key]));
  const dataKeys = createDataKeyCache();

  function masterKey(keyId: string): Buffer | undefined {
    if (!ring.has(keyId) && reload) ring = new Map(reload().map((key) => [key.id, key.key]));
    return ring.get(keyId);
  }

  function requireKey(keyId: string, missing: () => string): Buffer {
    const key = masterKey(keyId);
    if (!key) throw new IntegrityError(missing());
    return key;
  }

  function wrap(keyId: string, dataKey: Buffer, aad: Buffer): WrappedKey {
    const key = requireKey(
      keyId,
      () =>
        `This process does not hold the store's current master key ${keyId}: add it to LOCKBOX_MASTER_KEY (or the key file) and restart`,
    );
    return { keyId, wrappedKey: encrypt(key, dataKey, aad) };
  }

  function unwrap(wrapped: WrappedKey, aad: Buffer, what: string): Buffer | undefined {
    const key = requireKey(
      wrapped.keyId,
      () => `${what} is encrypted under master key ${wrapped.keyId}, which this process does not hold`,
    );
    return decrypt(key, wrapped.wrappedKey, aad);
  }

  return {
    /** The ids of the keys held, the first one first (the one a new store starts with). */
    keyIds: () => [...ring.keys()],

    /** Encrypts under a fresh data key wrapped by master key `keyId` (the store's current one). */
    seal(context: SealContext, plaintext: Buffer, keyId: string): Sealed {
      const dataKey = randomBytes(32);
      try {
        return {
          ...wrap(keyId, dataKey, associatedData("key", context)),
          ciphertext: encrypt(dataKey, plaintext, associatedData("data", context)),
        };
      } finally {
        dataKey.fill(0);
      }
    },

    open(context: SealContext, sealed: Sealed, label: string): Buffer {
      const keyData = associatedData("key", context);
      // Found by everything the unwrap checks: the master key, the bound context, the bytes.
      const cacheId = `${sealed.keyId}\n${keyData.toString()}\n${sealed.wrappedKey.toString("base64")}`;
      const dataKey = dataKeys.get(cacheId, () => unwrap(sealed, keyData, label));
      const plaintext = dataKey && decrypt(dataKey, sealed.ciphertext, associatedData("data", context));
      if (!plaintext) {
        throw new IntegrityError(`${label} failed its integrity check: the stored data was changed or moved`);
      }
      return plaintext;
    },

    /** The same data key wrapped by master key `keyId` instead; the ciphertext stays as it is. */
    rewrap(context: SealContext, sealed: WrappedKey, keyId: string, label: string): WrappedKey {
      const dataKey = unwrap(sealed, associatedData("key", context), label);
      if (!dataKey)
        throw new IntegrityError(`${label} failed its integrity check: the stored data was changed or moved`);
      try {
        return wrap(keyId, dataKey, associatedData("key", context));
      } finally {
        dataKey.fill(0);
      }
    },

    /** Wraps a key the store keeps for itself (named `name`, which is bound to it). */
    wrapKey: (name: string, key: Buffer, keyId: string): WrappedKey => wrap(keyId, key, storeKeyData(name)),

    unwrapKey(name: string, wrapped: WrappedKey): Buffer {
      const key = unwrap(wrapped, storeKeyData(name), `The store's ${name} key`);
      if (!key) throw new IntegrityError(`The store's ${name} key failed its integrity check`);
      return key;
    },

    /** Encrypts a known text so a later start can tell whether it holds master key `keyId`. */
    keyCheck: (keyId: string): Buffer =>
      encrypt(
        requireKey(keyId, () => `This process does not hold master key ${keyId}`),
        Buffer.from(keyCheckText),
        Buffer.from(keyCheckText),
      ),

    /** Whether this process holds master key `keyId`, and `check` was made by it. */
    verifiesKeyCheck(keyId: string, check: Buffer): boolean {
      const key = masterKey(keyId);
      return key !== undefined && decrypt(key, check, Buffer.from(keyCheckText))?.toString() === keyCheckText;
    },
  };
}

export type Envelope = ReturnType<typeof createEnvelope>;
