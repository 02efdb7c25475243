import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Services } from "../lockbox.js";
import type { Actor } from "../services/actor.js";

/** Every file at or under `path`, read as raw bytes. */
function readAllFiles(path: string): { path: string; bytes: Buffer }[] {
  try {
    if (!statSync(path).isDirectory()) return [{ path, bytes: readFileSync(path) }];
    return readdirSync(path).flatMap((name) => readAllFiles(join(path, name)));
  } catch (error) {
    // A running database server removes temporary files as it goes.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The forms a value could take if it were stored or written unencrypted, by name. */
function encodings(text: string): { name: string; bytes: Buffer }[] {
  const utf8 = Buffer.from(text);
  return [
    { name: "utf8", bytes: utf8 },
    { name: "utf16le", bytes: Buffer.from(text, "utf16le") },
    { name: "base64", bytes: Buffer.from(utf8.toString("base64")) },
    { name: "base64url", bytes: Buffer.from(utf8.toString("base64url")) },
    { name: "hex", bytes: Buffer.from(utf8.toString("hex")) },
    { name: "HEX", bytes: Buffer.from(utf8.toString("hex").toUpperCase()) },
    { name: "JSON", bytes: Buffer.from(JSON.stringify(text)) },
  ];
}

/** The encodings in which `text` is found in `haystack` (a log, a page, an output): empty if none. */
export function findIn(haystack: string | Buffer, text: string): string[] {
  const bytes = typeof haystack === "string" ? Buffer.from(haystack) : haystack;
  return encodings(text)
    .filter((encoded) => bytes.includes(encoded.bytes))
    .map((encoded) => encoded.name);
}

/** The files at or under `path` (and the encodings) in which `text` is found. */
export function findOnDisk(path: string, text: string): string[] {
  return readAllFiles(path).flatMap((file) =>
    findIn(file.bytes, text).map((encoding) => `${file.path} (${encoding})`),
  );
}

/** A secret named for the scan, and the canary values it held (their common prefix: `canary`). */
export interface CanaryTrail {
  ref: { environment: string; name: string };
  canary: string;
  values: string[];
}

/**
 * Sends random canary values through every way a value is written and read — create, update,
 * replace, rollback, multi-line, reveal, export, resolve, a refused write — then reads them back.
 */
export async function leaveCanaryTrail(services: Services, admin: Actor): Promise<CanaryTrail> {
  // Long and random, so that a match cannot be a coincidence.
  const canary = `CANARY${randomBytes(24).toString("hex")}`;
  const values = [`${canary}0`, `${canary}1`, `${canary}2`, `${canary}3`];
  const [created = "", updated = "", replaced = "", multi = ""] = values;
  const { secrets } = services;
  const ref = { environment: "main", name: "at-rest-marker-name" };

  await secrets.create(admin, { ...ref, values: { CREATED: created } });
  await secrets.update(admin, { ...ref, set: { UPDATED: updated } });
  await secrets.create(admin, { ...ref, values: { REPLACED: replaced }, ifExists: "replace" });
  await secrets.rollback(admin, { ...ref, version: 2 });
  await secrets.update(admin, { ...ref, set: { MULTI: `${multi}\nsecond line` } });
  // Reads write audit entries and "last used at": they must not leak either.
  await secrets.reveal(admin, ref);
  await secrets.export(admin, { ...ref, format: "dotenv" });
  await secrets.resolve(admin, { environment: "main", secrets: [{ name: ref.name }] });
  // A refused write with a value in it must not leave the value anywhere.
  await secrets.update(admin, { ...ref, set: { BAD: `${canary}\0` } }).then(
    () => {
      throw new Error("a value with NUL was accepted");
    },
    () => undefined,
  );
  return { ref, canary, values };
}
