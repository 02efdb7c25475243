import { AuthenticationError, RateLimitedError } from "../shared/errors.js";
import type { Store } from "../store/store.js";
import type { Actor } from "./actor.js";
import { recordAudit } from "./audit-record.js";
import { createFailureLimiter } from "./failure-limiter.js";
import { findByToken, hashToken } from "./token-credentials.js";
import { defaultWorkspace } from "./workspace-setup.js";

interface FailureGuardOptions {
  /** Failures allowed per address, and per token, in one window. */
  maxFailures: number;
  /** Failures allowed per workspace in one window: the token's, or `default` for unknown tokens. */
  maxFailuresPerWorkspace: number;
  windowMs: number;
  /** The audit action of a failure: `session.failed`, `auth.failed`. */
  action: string;
  /** What is limited, for the message: "failed sign-ins". */
  what: string;
  /**
   * Whether a limited address is refused even the right token (sign-ins: guessing then tells
   * nothing), or only its failures are refused past the limit (bearer tokens, which cannot be
   * guessed: a shared address keeps working for those who hold one). Past the per-token and
   * per-workspace limits only failures are refused, or anyone could lock a workspace out.
   */
  lockOut: boolean;
  /** Told of each failure, past the limit too (the server's metrics). */
  onFailure?: (() => void) | undefined;
}

/** Who a failed token was, as far as the store knows: never any of the token itself. */
interface Failure {
  /** The known token's id (revoked or expired), else the presented token's hash. */
  tokenKey: string;
  tokenId: string | null;
  name: string;
  /** Where the failure is filed: the known token's workspace, else `default` (the operator's). */
  workspaceId: string | undefined;
  known: boolean;
}

/** A limit that refused a failure: how long until its window ends, and which limit, for messages. */
interface Refusal {
  waitMs: number;
  maxFailures: number;
  scope: string;
}

/**
 * Authentications of one kind (sign-ins, bearer tokens) guarded: failures are counted per
 * address, per token and per workspace, and audited one by one until a limit is reached; past it
 * they are answered `RateLimitedError`, and one entry per workspace and window records that a
 * limit was reached, so that the audit log holds a bounded number of failures per window.
 */
export function createFailureGuard(
  deps: { store: Pick<Store, "tokens" | "directory" | "transaction"> },
  options: FailureGuardOptions,
) {
  const { store } = deps;
  const { maxFailures, maxFailuresPerWorkspace, windowMs } = options;
  const byAddress = createFailureLimiter({ maxFailures, windowMs });
  const byToken = createFailureLimiter({ maxFailures, windowMs });
  const byWorkspace = createFailureLimiter({ maxFailures: maxFailuresPerWorkspace, windowMs });
  const limitNotes = createFailureLimiter({ maxFailures: 1, windowMs });

  async function identify(token: string): Promise<Failure> {
    const known = await findByToken(token, store.tokens.findByHash);
    if (known) {
      const { id, name, workspaceId } = known;
      return { tokenKey: id, tokenId: id, name, workspaceId, known: true };
    }
    const workspaceId = (await store.directory.findWorkspace(defaultWorkspace))?.id;
    return { tokenKey: hashToken(token), tokenId: null, name: "unknown token", workspaceId, known: false };
  }

  async function record(failure: Failure, source: Actor["source"], target?: string): Promise<void> {
    const { workspaceId, name, tokenId } = failure;
    if (workspaceId === undefined) return;
    const actor: Actor = { workspaceId, name, tokenId, role: "viewer", canCreateWorkspaces: false, source };
    await store.transaction((tx) => recordAudit(tx.audit, actor, { action: options.action, target }));
  }

  // Every limit counts the failure (each up to its maximum); the one that waits longest answers.
  function refusalOf(failure: Failure, address: string): Refusal | undefined {
    const counted: Refusal[] = [
      {
        waitMs: byToken.begin(failure.tokenKey),
        maxFailures,
        scope: "with this token",
      },
      {
        waitMs: byWorkspace.begin(failure.workspaceId ?? ""),
        maxFailures: maxFailuresPerWorkspace,
        scope: failure.known ? "in this token's workspace" : "with unknown tokens",
      },
    ];
    if (!options.lockOut)
      counted.unshift({ waitMs: byAddress.begin(address), maxFailures, scope: "from this address" });
    return counted.filter((refusal) => refusal.waitMs > 0).sort((a, b) => b.waitMs - a.waitMs)[0];
  }

  // The first refusal of a workspace's window leaves one entry; the others of the window none.
  async function refuse(failure: Failure, source: Actor["source"], refusal: Refusal): Promise<never> {
    const windowSeconds = Math.round(windowMs / 1000);
    if (limitNotes.begin(failure.workspaceId ?? "") === 0) {
      const limit = `limit reached: ${refusal.maxFailures} ${options.what} in ${windowSeconds} s ${refusal.scope}`;
      await record(failure, source, limit);
    }
    const seconds = Math.ceil(refusal.waitMs / 1000);
    throw new RateLimitedError(`Too many ${options.what} ${refusal.scope}: try again in ${seconds} s`);
  }

  return {
    async attempt<T>(token: string, source: Actor["source"], authenticate: () => Promise<T>): Promise<T> {
      const address = source?.address ?? "unknown";
      if (options.lockOut) {
        const waitMs = byAddress.begin(address);
        if (waitMs > 0)
          await refuse(await identify(token), source, { waitMs, maxFailures, scope: "from this address" });
      }
      try {
        const result = await authenticate();
        if (options.lockOut) byAddress.succeeded(address);
        return result;
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        options.onFailure?.();
        const failure = await identify(token);
        const refusal = refusalOf(failure, address);
        if (refusal) await refuse(failure, source, refusal);
        await record(failure, source);
        throw error;
      }
    },
  };
}
