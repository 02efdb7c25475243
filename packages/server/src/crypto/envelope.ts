import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { IntegrityError } from "../shared/errors.js";
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

/** Envelope encryption: AES-256-GCM with a random data key per payload, wrapped by the master key. */
export function createEnvelope(masterKey: MasterKey) {
  return {
    keyId: masterKey.id,

    seal(context: SealContext, plaintext: Buffer): Sealed {
      const dataKey = randomBytes(32);
      try {
        return {
          keyId: masterKey.id,
          wrappedKey: encrypt(masterKey.key, dataKey, associatedData("key", context)),
          ciphertext: encrypt(dataKey, plaintext, associatedData("data", context)),
        };
      } finally {
        dataKey.fill(0);
      }
    },

    open(context: SealContext, sealed: Sealed, label: string): Buffer {
      if (sealed.keyId !== masterKey.id) {
        throw new IntegrityError(
          `${label} is encrypted under master key ${sealed.keyId}, not the one in use`,
        );
      }
      const dataKey = decrypt(masterKey.key, sealed.wrappedKey, associatedData("key", context));
      const plaintext = dataKey && decrypt(dataKey, sealed.ciphertext, associatedData("data", context));
      dataKey?.fill(0);
      if (!plaintext) {
        throw new IntegrityError(`${label} failed its integrity check: the stored data was changed or moved`);
      }
      return plaintext;
    },

    /** Wraps a key the store keeps for itself (named `name`, which is bound to it). */
    wrapKey(name: string, key: Buffer): { keyId: string; wrappedKey: Buffer } {
      return { keyId: masterKey.id, wrappedKey: encrypt(masterKey.key, key, storeKeyData(name)) };
    },

    unwrapKey(name: string, wrapped: { keyId: string; wrappedKey: Buffer }): Buffer {
      const key =
        wrapped.keyId === masterKey.id && decrypt(masterKey.key, wrapped.wrappedKey, storeKeyData(name));
      if (!key) throw new IntegrityError(`The store's ${name} key failed its integrity check`);
      return key;
    },

    /** Encrypts a known text so a later start can tell whether it holds the same master key. */
    keyCheck(): Buffer {
      return encrypt(masterKey.key, Buffer.from(keyCheckText), Buffer.from(keyCheckText));
    },

    verifiesKeyCheck(check: Buffer): boolean {
      return decrypt(masterKey.key, check, Buffer.from(keyCheckText))?.toString() === keyCheckText;
    },
  };
}

const keyCheckText = "lockbox master key check";

export type Envelope = ReturnType<typeof createEnvelope>;
