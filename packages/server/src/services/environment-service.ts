import { AlreadyExistsError, InvalidError } from "../shared/errors.js";
import { assertEnvironmentName, defaultEnvironment, pageSize, quote } from "../shared/rules.js";
import type { EnvironmentRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import { type Actor, requireAllEnvironments, requireRole } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import { findEnvironment } from "./environment-lookup.js";
import { newId } from "./ids.js";

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
