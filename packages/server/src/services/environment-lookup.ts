import { NotFoundError, PermissionDeniedError } from "../shared/errors.js";
import { assertEnvironmentName, quote } from "../shared/rules.js";
import type { EnvironmentRow } from "../store/schema.js";
import type { StoreTables } from "../store/store.js";
import type { Actor } from "./actor.js";

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
