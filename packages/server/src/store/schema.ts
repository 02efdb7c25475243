import type { Generated, Insertable, Selectable } from "kysely";
import type { ChainedEntry } from "../crypto/audit-chain.js";

// Times are ISO-8601 strings in UTC (`toISOString`), which sort as text in every dialect.

export interface WorkspaceTable {
  id: string;
  name: string;
  createdAt: string;
}

export interface EnvironmentTable {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: string;
  createdBy: string;
}

export interface SecretTable {
  id: string;
  workspaceId: string;
  environmentId: string;
  name: string;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

export interface SecretVersionTable {
  secretId: string;
  version: number;
  createdAt: string;
  createdBy: string;
  /** JSON arrays of key names: never values. */
  keys: string;
  added: string;
  removed: string;
  changed: string;
  rollbackOf: number | null;
  keyId: string;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

export interface TokenTable {
  id: string;
  workspaceId: string;
  name: string;
  role: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  hash: string;
  canCreateWorkspaces: number;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The one environment (by name) the token may act in; null: all of its workspace's. */
  environment: string | null;
}

/** An audit entry: what the chain covers (see crypto/audit-chain.ts), its id and its hash. */
export interface AuditTable extends Omit<ChainedEntry, "seq" | "prevHash"> {
  id: Generated<number>;
  /** Place in the workspace's hash chain (1, 2, …); null only before the chain was introduced. */
  seq: number | null;
  prevHash: string | null;
  hash: string | null;
}

/** The last entry of a workspace's audit chain, sealed (see crypto/audit-chain.ts). */
export interface AuditHeadTable {
  workspaceId: string;
  seq: number;
  hash: string;
  seal: string;
}

/** A key the store keeps for itself (the audit chain's), wrapped by the master key. */
export interface StoreKeyTable {
  name: string;
  keyId: string;
  wrappedKey: Buffer;
  createdAt: string;
}

/** One deploy of an app: its bundled code and where each function sits in it. */
export interface DeploymentTable {
  id: string;
  workspaceId: string;
  environmentId: string;
  appName: string;
  version: number;
  bundle: string;
  /** JSON `[{ name, index }]`. */
  functions: string;
  createdAt: string;
  createdBy: string;
}

/** A file's content that a deploy takes for its functions, by SHA-256; plain data, never a secret. */
export interface DeploymentFileTable {
  deploymentId: string;
  sha256: string;
  content: Buffer;
}

/** A dashboard sign-in: a browser's cookie stands for one token until the session ends. */
export interface SessionTable {
  id: string;
  /** SHA-256 of the cookie value, hex; the cookie itself is never stored. */
  hash: string;
  tokenId: string;
  workspaceId: string;
  /** The value every state-changing request of the session must echo in `x-csrf-token`. */
  csrf: string;
  createdAt: string;
  /** The absolute end; the idle end is `lastSeenAt` plus the idle timeout. */
  expiresAt: string;
  lastSeenAt: string;
}

/** A workload identity: the platform tokens (by issuer, audience, subject, claims) that become a Lockbox token. */
export interface IdentityTable {
  id: string;
  workspaceId: string;
  name: string;
  issuer: string;
  audience: string;
  /** Exact, or with `*` matching within one `:`-separated segment. */
  subject: string;
  /** JSON object of claim names and the values they must have. */
  claims: string;
  role: string;
  /** The one environment (by name) its tokens act in; null: every environment. */
  environment: string | null;
  ttlSeconds: number;
  createdAt: string;
  createdBy: string;
}

export type MasterKeyStatus = "current" | "previous" | "retired";

export interface MasterKeyTable {
  id: string;
  check: Buffer;
  createdAt: string;
  status: MasterKeyStatus;
}

export interface Database {
  workspaces: WorkspaceTable;
  environments: EnvironmentTable;
  secrets: SecretTable;
  secretVersions: SecretVersionTable;
  tokens: TokenTable;
  auditEntries: AuditTable;
  auditHeads: AuditHeadTable;
  storeKeys: StoreKeyTable;
  masterKeys: MasterKeyTable;
  deployments: DeploymentTable;
  deploymentFiles: DeploymentFileTable;
  sessions: SessionTable;
  identities: IdentityTable;
}

export type WorkspaceRow = Selectable<WorkspaceTable>;
export type EnvironmentRow = Selectable<EnvironmentTable>;
export type SecretRow = Selectable<SecretTable>;
export type SecretVersionRow = Selectable<SecretVersionTable>;
/** What opening a version needs: its number and its sealed values. */
export type SealedVersion = Pick<SecretVersionRow, "version" | "keyId" | "wrappedKey" | "ciphertext">;
export type TokenRow = Selectable<TokenTable>;
export type DeploymentRow = Selectable<DeploymentTable>;
export type DeploymentFileRow = Selectable<DeploymentFileTable>;
export type SessionRow = Selectable<SessionTable>;
export type IdentityRow = Selectable<IdentityTable>;
export type AuditRow = Selectable<AuditTable>;
export type AuditHeadRow = Selectable<AuditHeadTable>;
export type StoreKeyRow = Selectable<StoreKeyTable>;
export type NewAuditEntry = Insertable<AuditTable>;
