import { AlreadyExistsError, PermissionDeniedError } from "../shared/errors.js";
import { assertWorkspaceName, pageSize, quote } from "../shared/rules.js";
import type { WorkspaceRow } from "../store/schema.js";
import type { Store } from "../store/store.js";
import type { Actor } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import { issueToken } from "./token-credentials.js";
import { insertWorkspace } from "./workspace-setup.js";

export interface WorkspaceInfo {
  name: string;
  createdAt: string;
}

const toInfo = ({ name, createdAt }: WorkspaceRow): WorkspaceInfo => ({ name, createdAt });

export function createWorkspaceService(deps: { store: Pick<Store, "directory" | "transaction"> }) {
  const { store } = deps;
  return {
    /** Every workspace for a token that may create them, in name order, a page after `after`; else its own. */
    async list(
      actor: Actor,
      options: { limit?: number | undefined; after?: string | undefined } = {},
    ): Promise<WorkspaceInfo[]> {
      if (!actor.canCreateWorkspaces) {
        const own = await store.directory.getWorkspace(actor.workspaceId);
        return own && (options.after === undefined || own.name > options.after) ? [toInfo(own)] : [];
      }
      const page = { limit: pageSize(options.limit), after: options.after };
      return (await store.directory.listWorkspaces(page)).map(toInfo);
    },

    /** Creates a workspace with its `main` environment and an admin token, whose value is returned once. */
    async create(actor: Actor, name: string): Promise<{ workspace: WorkspaceInfo; adminToken: string }> {
      if (!actor.canCreateWorkspaces) {
        throw new PermissionDeniedError("Only the bootstrap token can create workspaces");
      }
      assertWorkspaceName(name);
      return store.transaction(async (tx) => {
        if (await tx.directory.findWorkspace(name))
          throw new AlreadyExistsError(`Workspace ${quote(name)} already exists`);
        const workspace = await insertWorkspace(tx, name, actor.name);
        const { value } = await issueToken(tx.tokens, {
          workspaceId: workspace.id,
          role: "admin",
          name: `${name} admin`,
          createdBy: actor.name,
        });
        await recordAudit(tx.audit, { ...actor, workspaceId: workspace.id }, { action: "workspace.create" });
        return { workspace: toInfo(workspace), adminToken: value };
      });
    },
  };
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
