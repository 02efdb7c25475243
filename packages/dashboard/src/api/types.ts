// The API's own types, from the server's built declarations: type-only, so nothing of the server
// reaches the browser bundle.
export type {
  AuditEntry,
  EnvironmentInfo,
  SecretMetadata,
  SessionInfo as Session,
  VersionInfo,
} from "@lockbox/server";

export type Values = Record<string, string>;
