import { defaultEnvironment } from "../shared/rules.js";
import type { WorkspaceRow } from "../store/schema.js";
import type { Store, StoreTables } from "../store/store.js";
import { newId } from "./ids.js";
import { hashToken, issueToken } from "./token-credentials.js";

/** The workspace an empty store starts with: the bootstrap token's, and embedded mode's. */
export const defaultWorkspace = "default";

/** Inserts a workspace with its `main` environment. */
export async function insertWorkspace(
  tx: StoreTables,
  name: string,
  createdBy: string,
): Promise<WorkspaceRow> {
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

async function findOrInsertDefault(tx: StoreTables, createdBy: string): Promise<WorkspaceRow> {
  return (
    (await tx.directory.findWorkspace(defaultWorkspace)) ?? insertWorkspace(tx, defaultWorkspace, createdBy)
  );
}

/** The `default` workspace, made on first use. */
export async function ensureDefaultWorkspace(store: Pick<Store, "transaction">, createdBy: string) {
  return store.transaction((tx) => findOrInsertDefault(tx, createdBy));
}

/**
 * On a store with no bootstrap token: makes one, an admin of `default` that may also create
 * workspaces. Returns its value when it was generated here (to print once), else undefined.
 */
export async function bootstrap(store: Pick<Store, "transaction">, options: { token?: string | undefined }) {
  return store.transaction(async (tx) => {
    const workspace = await findOrInsertDefault(tx, "bootstrap");
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
