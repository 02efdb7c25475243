import type { ResolveUse } from "../shared/rules.js";
import type { Values } from "./secret-versions.js";

/** A named secret as listed and shown: key names, never values. */
export interface SecretMetadata {
  name: string;
  environment: string;
  version: number;
  keys: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/** One version in a secret's history: who made it and which keys it touched. */
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

/** What `create` does when the name is taken: fail, keep the old values, or replace them. */
export type IfExists = "fail" | "keep" | "replace";

export interface SecretRef {
  environment: string;
  name: string;
}

export interface CreateSecretInput extends SecretRef {
  values: Values;
  ifExists?: IfExists | undefined;
}

export interface UpdateSecretInput extends SecretRef {
  set?: Values | undefined;
  unset?: string[] | undefined;
  ifVersion?: number | undefined;
}

/** One secret's values as a container or command receives them. */
export interface ResolvedSecret {
  name: string;
  version: number;
  values: Values;
}

export interface ResolveInput {
  environment: string;
  /** What the values are for, as audited: default `exec` (`secret.resolve`); `container`: `container.start`. */
  use?: ResolveUse | undefined;
  /** `version` pins what is read (a container reads the versions its key names); default: the current. */
  secrets: { name: string; requiredKeys?: string[] | undefined; version?: number | undefined }[];
}
