import { randomBytes } from "node:crypto";

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A random id with a type prefix, as Modal's `st-…`: 22 base62 characters, about 131 bits. */
export function newId(prefix: string): string {
  const bytes = randomBytes(22);
  let id = `${prefix}-`;
  for (const byte of bytes) id += alphabet[byte % 62];
  return id;
}
