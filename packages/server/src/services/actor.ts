import { InvalidError, PermissionDeniedError } from "../shared/errors.js";
import { quote, type Role, roles } from "../shared/rules.js";

/** Who is calling: a token's holder over HTTP, or the local user in embedded mode. */
export interface Actor {
  workspaceId: string;
  /** Shown as "created by" and in the audit log. */
  name: string;
  tokenId: string | null;
  role: Role;
  canCreateWorkspaces: boolean;
  /** The one environment the token may act in; undefined: every environment of its workspace. */
  environment?: string | null | undefined;
  source?: { address?: string | undefined; userAgent?: string | undefined } | undefined;
}

const rank: Record<Role, number> = { viewer: 0, invoker: 1, developer: 2, admin: 3 };

/** Throws `PermissionDeniedError` unless the actor may act in every environment of its workspace. */
export function requireAllEnvironments(actor: Actor, action: string): void {
  if (actor.environment) {
    throw new PermissionDeniedError(
      `A token limited to environment '${actor.environment}' cannot ${action}; it needs a token for every environment`,
    );
  }
}

/** Throws `PermissionDeniedError` unless the actor's role is at least `role`. */
export function requireRole(actor: Actor, role: Role, action: string): void {
  if (!hasRole(actor, role)) {
    const article = /^[aeiou]/.test(actor.role) ? "An" : "A";
    throw new PermissionDeniedError(
      `${article} ${actor.role} token cannot ${action}; it needs the ${role} role`,
    );
  }
}

/** Whether the actor's role is at least `role`. */
export const hasRole = (actor: Pick<Actor, "role">, role: Role): boolean => rank[actor.role] >= rank[role];

/** `role` as a `Role`, or `InvalidError` naming the roles there are. */
export function parseRole(role: string): Role {
  if (!(roles as readonly string[]).includes(role)) {
    throw new InvalidError(`Invalid role ${quote(role)}: use one of ${roles.join(", ")}`);
  }
  return role as Role;
}
