import { createHmac, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { InvalidError } from "../shared/errors.js";

/** The key-encryption key that wraps every data key, with a public id derived from it. */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface MasterKeySource {
  dataDir: string;
  /** Base64 of 32 bytes, from `LOCKBOX_MASTER_KEY`; when absent the key file is used. */
  encodedKey?: string | undefined;
}

export const masterKeyFileName = "master.key";
const keyBytes = 32;

/** An id that names the key without revealing anything about it. */
export function masterKeyId(key: Buffer): string {
  return createHmac("sha256", key).update("lockbox master key id").digest("hex").slice(0, 16);
}

function decode(encoded: string, origin: string): MasterKey {
  const key = Buffer.from(encoded.trim(), "base64");
  if (key.length !== keyBytes) {
    throw new InvalidError(
      `${origin} must be base64 of ${keyBytes} bytes, but it decodes to ${key.length} bytes`,
    );
  }
  return { id: masterKeyId(key), key };
}

function readKeyFile(path: string): MasterKey {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new InvalidError(
      `The master key file ${path} can be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return decode(readFileSync(path, "utf8"), `The master key file ${path}`);
}

/**
 * Makes the key file unless it exists. The key is written and synced under a temporary name and
 * then linked into place, so a concurrent start never reads a half-written file.
 */
function createKeyFile(path: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeFileSync(fd, `${randomBytes(keyBytes).toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // link fails if another process made the file first; then that file is the key.
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** Loads the master key from `LOCKBOX_MASTER_KEY`, or from the data folder's key file, made on first use. */
export function loadMasterKey(source: MasterKeySource): MasterKey {
  if (source.encodedKey !== undefined) return decode(source.encodedKey, "LOCKBOX_MASTER_KEY");
  mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
  const path = join(source.dataDir, masterKeyFileName);
  if (!existsSync(path)) createKeyFile(path);
  return readKeyFile(path);
}
