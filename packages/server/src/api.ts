import type { Lockbox, Services } from "./lockbox.js";
import type { Actor } from "./services/actor.js";

type BoundService<S> = {
  [K in keyof S]: S[K] extends (actor: Actor, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/**
 * Everything a client can do, with the caller already known: what the embedded mode binds to
 * the local user and what the HTTP client implements over the wire. One contract for both.
 */
export type LockboxApi = { [K in keyof Services]: BoundService<Services[K]> };

/** The services, acting as `actor` (embedded mode: the local user). */
export function bindServices(lockbox: Pick<Lockbox, "services">, actor: Actor): LockboxApi {
  const { services } = lockbox;
  const bind = <S extends object>(service: S) =>
    Object.fromEntries(
      Object.entries(service).map(([name, method]) => [
        name,
        (...args: unknown[]) => (method as (actor: Actor, ...rest: unknown[]) => unknown)(actor, ...args),
      ]),
    ) as BoundService<S>;
  return {
    secrets: bind(services.secrets),
    apps: bind(services.apps),
    environments: bind(services.environments),
    workspaces: bind(services.workspaces),
    tokens: bind(services.tokens),
    identities: bind(services.identities),
    audit: bind(services.audit),
  };
}
