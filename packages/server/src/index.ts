export { bindServices, type LockboxApi } from "./api.js";
export { generateMasterKey, loadMasterKeys, masterKeyFileName, writeKeyFile } from "./crypto/master-key.js";
export { databaseFileName, type Lockbox, type LockboxSource, openLockbox, type Services } from "./lockbox.js";
export type { Actor } from "./services/actor.js";
export type { AuditEntry } from "./services/audit-service.js";
export type { EnvironmentInfo } from "./services/environment-service.js";
export type { CreateIdentityInput, IdentityInfo } from "./services/identity-service.js";
export type {
  CreateSecretInput,
  IfExists,
  ResolvedSecret,
  ResolveInput,
  SecretMetadata,
  SecretRef,
  UpdateSecretInput,
  VersionInfo,
} from "./services/secret-service.js";
export type { SessionInfo } from "./services/session-service.js";
export type { CreateTokenInput, TokenInfo } from "./services/token-service.js";
export type { WorkspaceInfo } from "./services/workspace-service.js";
export { defaultWorkspace } from "./services/workspace-setup.js";
export * from "./shared/index.js";
