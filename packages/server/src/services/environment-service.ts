import { AlreadyExistsError, InvalidError, NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { assertEnvironmentName, defaultEnvironment, pageSize, quote } from "../shared/rules.js";
import type { EnvironmentRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import { type Actor, requireAllEnvironments, requireRole } from "./actor.js";
import { recordAudit } from "./audit-service.js";
import { newId } from "./ids.js";

/** The environment the actor's token is limited to, if that keeps it out of `name`; else undefined. */
export const scopeLimit = (actor: Actor, name: string): string | undefined =>
  actor.environment && actor.environment !== name ? actor.environment : undefined;

/**
 * Refuses a bad environment name, and a token limited to another environment (before any lookup:
 * it learns nothing of the others) with `PermissionDeniedError`.
 */
export function assertEnvironmentAccess(actor: Actor, name: string): void {
  assertEnvironmentName(name);
  const limit = scopeLimit(actor, name);
  if (limit) {
    throw new PermissionDeniedError(
      `This token is limited to environment ${quote(limit)}: it cannot act in ${quote(name)}`,
    );
  }
}

/** The actor's environment called `name`, or `NotFoundError`; checked first as `assertEnvironmentAccess` does. */
export async function findEnvironment(
  directory: StoreTables["directory"],
  actor: Actor,
  name: string,
): Promise<EnvironmentRow> {
  assertEnvironmentAccess(actor, name);
  const environment = await directory.findEnvironment(actor.workspaceId, name);
  if (!environment) throw new NotFoundError(`Environment ${quote(name)} not found`);
  return environment;
}

export interface EnvironmentInfo {
  name: string;
  createdAt: string;
  createdBy: string;
}

const toInfo = ({ name, createdAt, createdBy }: EnvironmentRow): EnvironmentInfo => ({
  name,
  createdAt,
  createdBy,
});

export function createEnvironmentService(deps: { store: Pick<Store, "directory" | "transaction"> }) {
  const { store } = deps;
  return {
    /** The workspace's environments in name order, a page after `after`; only its own for a token limited to one. */
    async list(
      actor: Actor,
      options: { limit?: number | undefined; after?: string | undefined } = {},
    ): Promise<EnvironmentInfo[]> {
      if (actor.environment) {
        const own = await store.directory.findEnvironment(actor.workspaceId, actor.environment);
        return own && (options.after === undefined || own.name > options.after) ? [toInfo(own)] : [];
      }
      const page = { limit: pageSize(options.limit), after: options.after };
      return (await store.directory.listEnvironments(actor.workspaceId, page)).map(toInfo);
    },

    async create(actor: Actor, name: string): Promise<EnvironmentInfo> {
      requireRole(actor, "admin", "create environments");
      requireAllEnvironments(actor, "create environments");
      assertEnvironmentName(name);
      return store.transaction(async (tx) => {
        if (await tx.directory.findEnvironment(actor.workspaceId, name)) {
          throw new AlreadyExistsError(`Environment ${quote(name)} already exists`);
        }
        const row = {
          id: newId("en"),
          workspaceId: actor.workspaceId,
          name,
          createdAt: new Date().toISOString(),
          createdBy: actor.name,
        };
        await tx.directory.insertEnvironment(row);
        await recordAudit(tx.audit, actor, { action: "environment.create", environment: name });
        return toInfo(row);
      });
    },

    /** Deletes the environment and every secret in it. */
    async delete(actor: Actor, name: string): Promise<void> {
      requireRole(actor, "admin", "delete environments");
      requireAllEnvironments(actor, "delete environments");
      if (name === defaultEnvironment) {
        throw new InvalidError(`The ${quote(defaultEnvironment)} environment cannot be deleted`);
      }
      await store.transaction(async (tx) => {
        const environment = await findEnvironment(tx.directory, actor, name);
        await tx.secrets.deleteAllIn(environment.id);
        await tx.directory.deleteEnvironment(environment.id);
        await recordAudit(tx.audit, actor, { action: "environment.delete", environment: name });
      });
    },
  };
}

export type EnvironmentService = ReturnType<typeof createEnvironmentService>;
