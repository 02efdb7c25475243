import { z } from "zod";
import type { DeployedFunction, DeploymentView } from "../services/app-service.js";
import type { AuditEntry, AuditVerification } from "../services/audit-service.js";
import type { EnvironmentInfo } from "../services/environment-service.js";
import type { IdentityInfo } from "../services/identity-service.js";
import type {
  ResolvedSecret,
  SecretMetadata,
  SecretService,
  VersionInfo,
} from "../services/secret-service.js";
import type { SessionInfo } from "../services/session-service.js";
import type { TokenInfo } from "../services/token-service.js";
import type { WorkspaceInfo } from "../services/workspace-service.js";
import { networkModes, roles } from "../shared/rules.js";

// The shapes the API answers with, each a named component of the OpenAPI document (`.meta({ id })`).
// Fastify serializes answers through them, and a zod object keeps only the keys it names, in its
// order: each lists every key its service returns, in the order the service builds it. Each is
// checked against the service's type, so a required key cannot go missing unnoticed.

const timestamp = z.string().describe("ISO 8601, UTC");

/**
 * Values as they were stored, passed through unchecked: zod's record would drop a `__proto__`
 * key, which DESIGN.md §5 allows.
 */
const values = z.custom<Record<string, string>>().meta({
  id: "Values",
  type: "object",
  additionalProperties: { type: "string" },
  description: "Environment variables: key → value",
});

export const secretInfo = z
  .object({
    name: z.string(),
    environment: z.string(),
    version: z.number().int(),
    keys: z.array(z.string()),
    createdAt: timestamp,
    createdBy: z.string(),
    updatedAt: timestamp,
    lastUsedAt: timestamp.nullable(),
  })
  .meta({
    id: "SecretInfo",
    description: "A named secret: its keys, never its values",
  }) satisfies z.ZodType<SecretMetadata>;

export const secretVersion = z
  .object({
    version: z.number().int(),
    createdAt: timestamp,
    createdBy: z.string(),
    keys: z.array(z.string()),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
    rollbackOf: z.number().int().nullable(),
  })
  .meta({
    id: "SecretVersion",
    description: "One version in a secret's history",
  }) satisfies z.ZodType<VersionInfo>;

export const secretValues = z
  .object({ secret: secretInfo, version: z.number().int(), values })
  .meta({ id: "SecretValues", description: "A version's values: an audited read" }) satisfies z.ZodType<
  Awaited<ReturnType<SecretService["reveal"]>>
>;

export const resolvedSecret = z
  .object({ name: z.string(), version: z.number().int(), values })
  .meta({ id: "ResolvedSecret" }) satisfies z.ZodType<ResolvedSecret>;

export const environmentInfo = z
  .object({ name: z.string(), createdAt: timestamp, createdBy: z.string() })
  .meta({ id: "Environment" }) satisfies z.ZodType<EnvironmentInfo>;

export const workspaceInfo = z
  .object({ name: z.string(), createdAt: timestamp })
  .meta({ id: "Workspace" }) satisfies z.ZodType<WorkspaceInfo>;

export const tokenInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    workspace: z.string(),
    createdAt: timestamp,
    createdBy: z.string(),
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
    environment: z.string().nullable().describe("The one environment the token may act in; null: all"),
  })
  .meta({ id: "Token", description: "A token as listed: never its value" }) satisfies z.ZodType<TokenInfo>;

export const identityInfo = z
  .object({
    name: z.string(),
    issuer: z.string(),
    audience: z.string(),
    subject: z.string().describe("Exact, or with '*' matching within one ':'-separated segment"),
    claims: z
      .record(z.string(), z.string())
      .describe("Claims the platform's token must hold, with these values"),
    role: z.enum(roles),
    environment: z.string().nullable().describe("The one environment its tokens act in; null: all"),
    ttlSeconds: z.number().int(),
    createdAt: timestamp,
    createdBy: z.string(),
  })
  .meta({
    id: "Identity",
    description:
      "A workload identity: which platform tokens POST /v1/auth/oidc exchanges for a Lockbox token",
  }) satisfies z.ZodType<IdentityInfo>;

/** One file or folder of a function's `files`, in a deploy or a run as in an answer. */
export const deployedFileEntry = z.object({
  path: z.string(),
  kind: z.enum(["file", "folder"]),
  sha256: z.string().optional(),
  executable: z.boolean().optional(),
});

const deployedFunction = z
  .object({
    name: z.string(),
    index: z.number().int(),
    secrets: z.array(
      z.object({
        name: z.string(),
        environment: z.string().optional(),
        requiredKeys: z.array(z.string()).optional(),
      }),
    ),
    env: values.optional().describe("Shown to developers and admins only"),
    timeoutMs: z.number().optional(),
    network: z.enum(networkModes).optional(),
    tmpMb: z.number().optional(),
    files: z.array(deployedFileEntry).optional(),
  })
  .meta({ id: "DeployedFunction" }) satisfies z.ZodType<DeployedFunction>;

export const deployment = z
  .object({
    name: z.string(),
    environment: z.string(),
    version: z.number().int(),
    functions: z.array(deployedFunction),
    deployedAt: timestamp,
    deployedBy: z.string(),
    bundle: z.string().optional().describe("The code: for developers and admins, by `get` only"),
    files: z
      .record(z.string(), z.string())
      .optional()
      .describe("The functions' files, SHA-256 → base64: for developers and admins, by `get` only"),
  })
  .meta({ id: "Deployment", description: "An app's newest deploy" }) satisfies z.ZodType<DeploymentView>;

export const deploymentHead = z
  .object({ version: z.number().int(), deployedAt: timestamp })
  .meta({ id: "DeploymentHead", description: "The version of an app's newest deploy and when it was made" });

export const auditEntry = z
  .object({
    id: z.number().int(),
    at: timestamp,
    actor: z.string(),
    tokenId: z.string().nullable(),
    action: z.string(),
    environment: z.string().nullable(),
    secret: z.string().nullable(),
    version: z.number().int().nullable(),
    source: z.string().nullable(),
    userAgent: z.string().nullable(),
    seq: z.number().int().nullable(),
    prevHash: z.string().nullable(),
    hash: z.string().nullable(),
    target: z.string().nullable(),
  })
  .meta({
    id: "AuditEntry",
    description: "Names, versions and ids: never a value",
  }) satisfies z.ZodType<AuditEntry>;

export const auditVerification = z
  .object({
    entries: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }),
    problems: z.array(z.string()).describe("Every break found in the chain; none: intact"),
  })
  .meta({ id: "AuditVerification" }) satisfies z.ZodType<AuditVerification>;

export const sessionInfo = z
  .object({
    csrfToken: z.string(),
    actor: z.object({ name: z.string(), role: z.enum(roles), workspace: z.string() }),
    expiresAt: timestamp,
  })
  .meta({
    id: "Session",
    description: "The signed-in session: never the token",
  }) satisfies z.ZodType<SessionInfo>;
