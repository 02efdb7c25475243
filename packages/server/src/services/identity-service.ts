import { AlreadyExistsError, InvalidError, NotFoundError } from "../shared/errors.js";
import {
  claimProblem,
  identityTokenName,
  identityTtl,
  issuerProblem,
  subjectPatternProblem,
  ttlProblem,
} from "../shared/identity-rules.js";
import { identityNameProblem, pageSize, quote, type Role } from "../shared/rules.js";
import type { IdentityRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import { type Actor, parseRole, requireAllEnvironments, requireRole } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import { findEnvironment } from "./environment-lookup.js";
import { newId } from "./ids.js";

/** A workload identity: which platform tokens become a Lockbox token, and what that token may do. */
export interface IdentityInfo {
  name: string;
  issuer: string;
  audience: string;
  subject: string;
  claims: Record<string, string>;
  role: Role;
  /** The one environment its tokens act in; null: every environment of the workspace. */
  environment: string | null;
  ttlSeconds: number;
  createdAt: string;
  createdBy: string;
}

export interface CreateIdentityInput {
  name: string;
  issuer: string;
  audience: string;
  subject: string;
  claims?: Record<string, string> | undefined;
  role: Role;
  environment?: string | undefined;
  ttlSeconds?: number | undefined;
}

/** The identity as listed: its stored row, claims parsed. */
export function toIdentityInfo(row: IdentityRow): IdentityInfo {
  const { name, issuer, audience, subject, environment, ttlSeconds, createdAt, createdBy } = row;
  const claims = JSON.parse(row.claims) as Record<string, string>;
  return {
    name,
    issuer,
    audience,
    subject,
    claims,
    role: parseRole(row.role),
    environment,
    ttlSeconds,
    createdAt,
    createdBy,
  };
}

function check(problem: string | undefined): void {
  if (problem) throw new InvalidError(problem);
}

function validate(input: CreateIdentityInput): void {
  check(identityNameProblem(input.name));
  check(issuerProblem(input.issuer));
  if (input.audience.length === 0 || input.audience.length > 1024)
    throw new InvalidError(
      "The audience is required: 1 to 1024 characters, as the platform's token has it in `aud`",
    );
  check(subjectPatternProblem(input.subject));
  for (const [name, value] of Object.entries(input.claims ?? {})) check(claimProblem(name, value));
  parseRole(input.role);
  check(ttlProblem(input.ttlSeconds ?? identityTtl.defaultSeconds));
}

export function createIdentityService(deps: {
  store: Pick<Store, "directory" | "identities" | "transaction">;
}) {
  const { store } = deps;

  async function find(
    identities: StoreTables["identities"],
    actor: Actor,
    name: string,
  ): Promise<IdentityRow> {
    check(identityNameProblem(name));
    const row = await identities.find(actor.workspaceId, name);
    if (!row) throw new NotFoundError(`Identity ${quote(name)} not found`);
    return row;
  }

  // Identities mint tokens for any environment: managed by admins of every environment only.
  const requireManager = (actor: Actor, action: string) => {
    requireRole(actor, "admin", action);
    requireAllEnvironments(actor, action);
  };

  return {
    async create(actor: Actor, input: CreateIdentityInput): Promise<IdentityInfo> {
      requireManager(actor, "create identities");
      validate(input);
      return store.transaction(async (tx) => {
        if (input.environment !== undefined) await findEnvironment(tx.directory, actor, input.environment);
        if (await tx.identities.find(actor.workspaceId, input.name))
          throw new AlreadyExistsError(`Identity ${quote(input.name)} already exists`);
        const row: IdentityRow = {
          id: newId("id"),
          workspaceId: actor.workspaceId,
          name: input.name,
          issuer: input.issuer,
          audience: input.audience,
          subject: input.subject,
          claims: JSON.stringify(input.claims ?? {}),
          role: input.role,
          environment: input.environment ?? null,
          ttlSeconds: input.ttlSeconds ?? identityTtl.defaultSeconds,
          createdAt: new Date().toISOString(),
          createdBy: actor.name,
        };
        await tx.identities.insert(row);
        await recordAudit(tx.audit, actor, {
          action: "identity.create",
          target: input.name,
          environment: input.environment,
        });
        return toIdentityInfo(row);
      });
    },

    /** The workspace's identities in name order, a page after the name `after`. */
    async list(
      actor: Actor,
      options: { limit?: number | undefined; after?: string | undefined } = {},
    ): Promise<IdentityInfo[]> {
      requireManager(actor, "list identities");
      const rows = await store.identities.list(actor.workspaceId, {
        limit: pageSize(options.limit),
        after: options.after,
      });
      return rows.map(toIdentityInfo);
    },

    async get(actor: Actor, name: string): Promise<IdentityInfo> {
      requireManager(actor, "read identities");
      return toIdentityInfo(await find(store.identities, actor, name));
    },

    async delete(actor: Actor, name: string): Promise<void> {
      requireManager(actor, "delete identities");
      await store.transaction(async (tx) => {
        const row = await find(tx.identities, actor, name);
        await tx.identities.delete(row.id);
        // Deleting an identity ends what it gave, not only what it would give.
        await tx.tokens.revokeMadeBy(
          actor.workspaceId,
          identityTokenName(row.name),
          new Date().toISOString(),
        );
        await recordAudit(tx.audit, actor, { action: "identity.delete", target: name });
      });
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
