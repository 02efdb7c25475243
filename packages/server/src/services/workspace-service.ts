import { AlreadyExistsError, PermissionDeniedError } from "../shared/errors.js";
import { assertWorkspaceName, defaultEnvironment, pageSize, quote } from "../shared/rules.js";
import type { WorkspaceRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import type { Actor } from "./actor.js";
import { recordAudit } from "./audit-service.js";
import { newId } from "./ids.js";
import { hashToken, issueToken } from "./token-service.js";

export const defaultWorkspace = "default";

export interface WorkspaceInfo {
  name: string;
  createdAt: string;
}

const toInfo = ({ name, createdAt }: WorkspaceRow): WorkspaceInfo => ({ name, createdAt });

/** Inserts a workspace with its `main` environment. */
async function insertWorkspace(tx: StoreTables, name: string, createdBy: string): Promise<WorkspaceRow> {
  const createdAt = new Date().toISOString();
  const workspace = { id: newId("ws"), name, createdAt };
  await tx.directory.insertWorkspace(workspace);
  // Its audit chain starts with it: a log wiped later, head and all, shows as missing.
  await tx.audit.startChain(workspace.id);
  await tx.directory.insertEnvironment({
    id: newId("en"),
    workspaceId: workspace.id,
    name: defaultEnvironment,
    createdAt,
    createdBy,
  });
  return workspace;
}

/** The `default` workspace, made on first use. */
export async function ensureDefaultWorkspace(store: Pick<Store, "transaction">, createdBy: string) {
  return store.transaction(
    async (tx) =>
      (await tx.directory.findWorkspace(defaultWorkspace)) ??
      insertWorkspace(tx, defaultWorkspace, createdBy),
  );
}

/**
 * On a store with no bootstrap token: makes one, an admin of `default` that may also create
 * workspaces. Returns its value when it was generated here (to print once), else undefined.
 */
export async function bootstrap(store: Pick<Store, "transaction">, options: { token?: string | undefined }) {
  return store.transaction(async (tx) => {
    const workspace =
      (await tx.directory.findWorkspace(defaultWorkspace)) ??
      (await insertWorkspace(tx, defaultWorkspace, "bootstrap"));
    if (await tx.tokens.hasUsableWorkspaceCreator(new Date().toISOString())) return undefined;
    // LOCKBOX_BOOTSTRAP_TOKEN naming a token that exists (say, revoked): never revive it.
    if (options.token !== undefined && (await tx.tokens.findByHash(hashToken(options.token))))
      return undefined;
    const { value } = await issueToken(
      tx.tokens,
      {
        workspaceId: workspace.id,
        role: "admin",
        name: "bootstrap",
        createdBy: "bootstrap",
        canCreateWorkspaces: true,
      },
      { value: options.token },
    );
    return options.token === undefined ? value : undefined;
  });
}

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
