import { createHmac, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
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
  /** Base64 of 32 bytes (or several, comma-separated), from `LOCKBOX_MASTER_KEY`; else the key file. */
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

/** One key, or several separated by commas or new lines (during a rotation: new, then old). */
function decodeAll(encoded: string, origin: string): MasterKey[] {
  const parts = encoded.split(/[,\n]/).filter((part) => part.trim() !== "");
  // Nothing in it: decoding the empty text names the length a key must have.
  return (parts.length > 0 ? parts : [encoded]).map((part) => decode(part, origin));
}

function readKeyFile(path: string): MasterKey[] {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new InvalidError(
      `The master key file ${path} can be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return decodeAll(readFileSync(path, "utf8"), `The master key file ${path}`);
}

/** A new random master key. */
export function generateMasterKey(): MasterKey {
  const key = randomBytes(keyBytes);
  return { id: masterKeyId(key), key };
}

/** The keys as `LOCKBOX_MASTER_KEY` or the key file hold them. */
export function encodeMasterKeys(keys: MasterKey[]): string {
  return keys.map((key) => key.key.toString("base64")).join(",");
}

/** Writes `keys` to a new file at `path` (mode 0600), synced to disk. */
function writeNewFile(path: string, keys: MasterKey[]): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeFileSync(fd, `${keys.map((key) => key.key.toString("base64")).join("\n")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const temporaryPath = (path: string) => `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;

/** Replaces the data folder's key file with `keys`, atomically: a crash leaves the old or the new file. */
export function writeKeyFile(dataDir: string, keys: MasterKey[]): void {
  const path = join(dataDir, masterKeyFileName);
  const temporary = temporaryPath(path);
  writeNewFile(temporary, keys);
  renameSync(temporary, path);
  const folder = openSync(dataDir, "r");
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

/**
 * Makes the key file unless it exists. The key is written and synced under a temporary name and
 * then linked into place, so a concurrent start never reads a half-written file.
 */
function createKeyFile(path: string): void {
  const temporary = temporaryPath(path);
  writeNewFile(temporary, [generateMasterKey()]);
  try {
    // link fails if another process made the file first; then that file is the key.
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Loads the master keys from `LOCKBOX_MASTER_KEY`, or from the data folder's key file, made on
 * first use. Usually one key; during a rotation the new one, then the old.
 */
export function loadMasterKeys(source: MasterKeySource): MasterKey[] {
  if (source.encodedKey !== undefined) return decodeAll(source.encodedKey, "LOCKBOX_MASTER_KEY");
  mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
  const path = join(source.dataDir, masterKeyFileName);
  if (!existsSync(path)) createKeyFile(path);
  return readKeyFile(path);
}
