import type { Role } from "@lockbox/server/shared";

/** The signed-in user, as `/v1/session` describes them. */
export interface Session {
  csrfToken: string;
  actor: { name: string; role: Role; workspace: string };
  expiresAt: string;
}

/** A named secret as listed and shown: key names, never values. */
export interface SecretInfo {
  name: string;
  environment: string;
  version: number;
  keys: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/** One version in a secret's history and the keys it touched. */
export interface VersionInfo {
  version: number;
  createdAt: string;
  createdBy: string;
  keys: string[];
  added: string[];
  removed: string[];
  changed: string[];
  rollbackOf: number | null;
}

export interface EnvironmentInfo {
  name: string;
  createdAt: string;
  createdBy: string;
}

/** One line of the audit log: names and versions, never values. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  tokenId: string | null;
  action: string;
  environment: string | null;
  secret: string | null;
  version: number | null;
  source: string | null;
  userAgent: string | null;
}

export type Values = Record<string, string>;
