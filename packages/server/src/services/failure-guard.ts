import { AuthenticationError, RateLimitedError } from "../shared/errors.js";
import type { Store } from "../store/store.js";
import type { Actor } from "./actor.js";
import { recordAudit } from "./audit-service.js";
import { createFailureLimiter, type FailureLimiterOptions } from "./failure-limiter.js";
import { findByToken } from "./token-service.js";
import { defaultWorkspace } from "./workspace-service.js";

export interface FailureGuardOptions extends FailureLimiterOptions {
  /** The audit action of a failure: `session.failed`, `auth.failed`. */
  action: string;
  /** What is limited, for the message: "failed sign-ins". */
  what: string;
  /**
   * Whether a limited address is refused even the right token (sign-ins: guessing then tells
   * nothing), or only its failures go unrecorded past the limit (bearer tokens, which cannot be
   * guessed: a shared address keeps working for those who hold one).
   */
  lockOut: boolean;
  /** Told of each failure, past the limit too (the server's metrics). */
  onFailure?: (() => void) | undefined;
}

/**
 * Authentications of one kind (sign-ins, bearer tokens) guarded: failures are limited per
 * address and audited, and past the limit answered `RateLimitedError`.
 */
export function createFailureGuard(
  deps: { store: Pick<Store, "tokens" | "directory" | "transaction"> },
  options: FailureGuardOptions,
) {
  const { store } = deps;
  const limiter = createFailureLimiter(options);

  // Filed under the token's workspace when the token is known (revoked or expired), otherwise under
  // the default workspace, where the server's operator works. Never any of the token.
  async function recordFailure(token: string, source: Actor["source"]): Promise<void> {
    const known = await findByToken(token, store.tokens.findByHash);
    const workspaceId = known?.workspaceId ?? (await store.directory.findWorkspace(defaultWorkspace))?.id;
    if (workspaceId === undefined) return;
    const actor: Actor = {
      workspaceId,
      name: known?.name ?? "unknown token",
      tokenId: known?.id ?? null,
      role: "viewer",
      canCreateWorkspaces: false,
      source,
    };
    await store.transaction((tx) => recordAudit(tx.audit, actor, { action: options.action }));
  }

  function refuse(waitMs: number): never {
    const seconds = Math.ceil(waitMs / 1000);
    throw new RateLimitedError(`Too many ${options.what} from this address: try again in ${seconds} s`);
  }

  return {
    async attempt<T>(token: string, source: Actor["source"], authenticate: () => Promise<T>): Promise<T> {
      const address = source?.address ?? "unknown";
      if (options.lockOut) {
        const waitMs = limiter.begin(address);
        if (waitMs > 0) refuse(waitMs);
      }
      try {
        const result = await authenticate();
        if (options.lockOut) limiter.succeeded(address);
        return result;
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        options.onFailure?.();
        if (!options.lockOut) {
          const waitMs = limiter.begin(address);
          if (waitMs > 0) refuse(waitMs);
        }
        await recordFailure(token, source);
        throw error;
      }
    },
  };
}
