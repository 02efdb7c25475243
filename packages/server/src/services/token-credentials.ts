import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Role } from "../shared/rules.js";
import type { TokenRow } from "../store/schema.js";
import type { StoreTables } from "../store/store.js";
import { newId } from "./ids.js";

/** A token value's SHA-256: what the store keeps instead of the value. */
export const hashToken = (value: string) => createHash("sha256").update(value).digest("hex");

/**
 * The row stored for a token value. The lookup is by hash, so its timing says nothing about the
 * token; the final comparison is constant-time all the same.
 */
export async function findByToken<Row extends { hash: string }>(
  value: string,
  findByHash: (hash: string) => Promise<Row | undefined>,
): Promise<Row | undefined> {
  const hash = hashToken(value);
  const row = await findByHash(hash);
  return row && timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash)) ? row : undefined;
}

/** Makes a token row and its value; the value is shown once and only its hash is stored. */
export async function issueToken(
  tokens: StoreTables["tokens"],
  fields: {
    workspaceId: string;
    role: Role;
    name: string;
    createdBy: string;
    canCreateWorkspaces?: boolean;
    environment?: string | undefined;
  },
  options: { value?: string | undefined; expiresAt?: string | null } = {},
): Promise<{ row: TokenRow; value: string }> {
  const value = options.value ?? `lbx_${randomBytes(32).toString("base64url")}`;
  const row: TokenRow = {
    id: newId("tk"),
    workspaceId: fields.workspaceId,
    name: fields.name,
    role: fields.role,
    hash: hashToken(value),
    canCreateWorkspaces: fields.canCreateWorkspaces ? 1 : 0,
    createdAt: new Date().toISOString(),
    createdBy: fields.createdBy,
    expiresAt: options.expiresAt ?? null,
    revokedAt: null,
    lastUsedAt: null,
    environment: fields.environment ?? null,
  };
  await tokens.insert(row);
  return { row, value };
}
