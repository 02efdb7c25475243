import type { Actor } from "../services/actor.js";
import type { IdentitySigner, IdentitySubject } from "../services/identity-signer.js";
import type { Store } from "../store/store.js";

/** The variable a function's container finds its identity token in. */
export const identityTokenVariable = "LOCKBOX_IDENTITY_TOKEN";

/** A container's identity: its variable, the token to mask, and until when the container may take calls. */
interface ContainerIdentity {
  env: Record<string, string>;
  token: string;
  reuseUntilMs: number;
}

/** Gives a container of `fn` (of `app`, in `environment`) its identity token; undefined: none (no issuer). */
export type IdentityMinter = (
  actor: Actor,
  fn: Omit<IdentitySubject, "workspace">,
  timeoutMs: number,
) => Promise<ContainerIdentity | undefined>;

/** A warm container takes a call only while its token has this long left at least (or the call's whole timeout, when shorter). */
const leftForACallMs = 5 * 60_000;

/**
 * Tokens for the containers this server starts, issued by `issuer()` (the server's public URL;
 * undefined in embedded mode, where no one could fetch the keys, and no token is given). A token
 * is minted once per container, which takes calls only while the token has `leftForACallMs` left
 * (or the call's timeout, when shorter); then the next call starts a new container.
 */
export function createIdentityMinter(deps: {
  store: Pick<Store, "directory">;
  signer: IdentitySigner;
  issuer: () => string | undefined;
}): IdentityMinter {
  return async (actor, fn, timeoutMs) => {
    const issuer = deps.issuer();
    if (issuer === undefined) return undefined;
    const workspace = await deps.store.directory.getWorkspace(actor.workspaceId);
    if (!workspace) return undefined;
    const { token, expiresAtMs } = await deps.signer.mint(issuer, { workspace: workspace.name, ...fn });
    return {
      env: { [identityTokenVariable]: token },
      token,
      reuseUntilMs: expiresAtMs - Math.min(timeoutMs, leftForACallMs),
    };
  };
}
