// What the bench needs that no public entry point offers, by design, each from its own source:
// the runner the CLI's `lockbox run` and `lockbox deploy` use (to time calls in this process); how
// a container's node is launched (for the bare-node baseline, spawned exactly the same way); the
// audit chain (the audit cost's floor); the secret writes, to create a large store's bulk in a
// few transactions; and the PostgreSQL server the tests start.
export { deployFile, type StartedRun, startRun } from "../packages/lockbox/src/sdk/runner.js";
export { baseEnvironment, limited } from "../packages/server/src/containers/container-backend.js";
export { spawnSandboxed } from "../packages/server/src/containers/container-sandbox.js";
export { createAuditChain } from "../packages/server/src/crypto/audit-chain.js";
export { createEnvelope } from "../packages/server/src/crypto/envelope.js";
export { openLockboxWithStore } from "../packages/server/src/lockbox.js";
export { createSecretLookup } from "../packages/server/src/services/secret-lookup.js";
export { createVersionCodec } from "../packages/server/src/services/secret-versions.js";
export { createSecretWrites } from "../packages/server/src/services/secret-writes.js";
export type { EntryToChain } from "../packages/server/src/store/audit-store.js";
export { startPostgresServer } from "../packages/server/src/test-support/postgres-server.js";
