// Test helpers that other packages' tests share: `@lockbox/server/test-support` (tests only).
export * from "./arbitraries.js";
export * from "./at-rest.js";
export * from "./call-gate.js";
export * from "./metrics-text.js";
export * from "./oidc-issuer.js";
export * from "./postgres-server.js";
export * from "./same-values.js";
export * from "./temp-lockbox.js";
export * from "./test-database.js";
export * from "./test-server.js";
